import { Column, Entity, PrimaryColumn } from 'typeorm';

/** One resurrection request (spec 2.4) and how it went (projection "gateway.resurrections"). */
@Entity({ name: 'resurrections' })
export class ResurrectionView {
  @PrimaryColumn('text', { name: 'request_id' }) requestId!: string;
  @Column('text', { name: 'kill_id' }) killId!: string;
  @Column('text', { name: 'target_module' }) targetModule!: string;
  @Column('text', { name: 'target_instance_id' }) targetInstanceId!: string;
  @Column('text', { name: 'approved_by' }) approvedBy!: string;
  @Column('int', { name: 'attempt' }) attempt!: number;
  /** executing | succeeded | failed | rolled_back */
  @Column('text', { name: 'status' }) status!: string;
  @Column('text', { name: 'container_id', nullable: true }) containerId!: string | null;
  @Column('timestamptz', { name: 'requested_at' }) requestedAt!: Date;
  @Column('timestamptz', { name: 'finished_at', nullable: true }) finishedAt!: Date | null;
  @Column('double precision', { name: 'duration_ms', nullable: true }) durationMs!: number | null;
  @Column('text', { name: 'failure_reason', nullable: true }) failureReason!: string | null;
  @Column('boolean', { name: 'retriable', nullable: true }) retriable!: boolean | null;
  /** requested (by an operator) | rolling_back | rolled_back | failed; null while none was asked for. */
  @Column('text', { name: 'rollback_status', nullable: true }) rollbackStatus!: string | null;
  /** Who asked: an operator's key name, or policy:auto-rollback on an anomaly. */
  @Column('text', { name: 'rollback_actor', nullable: true }) rollbackActor!: string | null;
  @Column('text', { name: 'rollback_reason', nullable: true }) rollbackReason!: string | null;
  @Column('timestamptz', { name: 'rolled_back_at', nullable: true }) rolledBackAt!: Date | null;
  @Column('text', { name: 'rollback_failure', nullable: true }) rollbackFailure!: string | null;
}

export const RESURRECTIONS_DDL = [
  `CREATE TABLE IF NOT EXISTS {schema}.resurrections (
    request_id text PRIMARY KEY,
    kill_id text NOT NULL,
    target_module text NOT NULL,
    target_instance_id text NOT NULL,
    approved_by text NOT NULL,
    attempt int NOT NULL,
    status text NOT NULL,
    container_id text,
    requested_at timestamptz NOT NULL,
    finished_at timestamptz,
    duration_ms double precision,
    failure_reason text,
    retriable boolean
  )`,
  `CREATE INDEX IF NOT EXISTS resurrections_requested ON {schema}.resurrections (requested_at DESC, request_id)`,
  ...['rollback_status text', 'rollback_actor text', 'rollback_reason text', 'rolled_back_at timestamptz', 'rollback_failure text'].map(
    (column) => `ALTER TABLE {schema}.resurrections ADD COLUMN IF NOT EXISTS ${column}`,
  ),
];
