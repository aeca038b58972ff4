import { Column, Entity, PrimaryColumn } from 'typeorm';
import type { NoticeRisk, PreResurrectionNotice, VetoExchange } from '@medic/domain';
import type { Cause } from '@medic/eventlog';

/**
 * What the negotiator knows of each kill: what a notice about it says (module,
 * risk, where Smith wants answers), its exchange with Smith folded from its
 * veto events, the exchange's due time (Smith's deadline, or when to ask
 * again after a defer) for the timer, and a notice waiting to be sent.
 */
@Entity({ name: 'veto_kills' })
export class VetoKill {
  @PrimaryColumn('text', { name: 'kill_id' }) killId!: string;
  @Column('text', { name: 'target_module', nullable: true }) targetModule!: string | null;
  @Column('text', { name: 'reply_to', nullable: true }) replyTo!: string | null;
  @Column('jsonb', { name: 'risk', nullable: true }) risk!: NoticeRisk | null;
  @Column('jsonb', { name: 'exchange', nullable: true }) exchange!: VetoExchange | null;
  @Column('timestamptz', { name: 'due_at', nullable: true }) dueAt!: Date | null;
  /** The due exchange's lease (see DurableTimers); let go whenever the due time moves. */
  @Column('timestamptz', { name: 'claimed_until', nullable: true }) claimedUntil!: Date | null;
  /** Set once the notice's VetoRequested is on the log; cleared once the notice is sent. */
  @Column('jsonb', { name: 'notice', nullable: true }) notice!: PreResurrectionNotice | null;
  /** The latest VetoRequested's envelope: what follows it continues its trace. */
  @Column('jsonb', { name: 'cause', nullable: true }) cause!: Cause | null;
}

/** Every notice ever sent, by the ids an answer may name it by. */
@Entity({ name: 'veto_asks' })
export class VetoAskRow {
  @PrimaryColumn('text', { name: 'correlation_id' }) correlationId!: string;
  @Column('text', { name: 'request_id' }) requestId!: string;
  @Column('text', { name: 'kill_id' }) killId!: string;
}

export const NEGOTIATOR_ENTITIES = [VetoKill, VetoAskRow];

export const NEGOTIATOR_DDL = [
  `CREATE TABLE IF NOT EXISTS {schema}.veto_kills (
    kill_id text PRIMARY KEY,
    target_module text,
    reply_to text,
    risk jsonb,
    exchange jsonb,
    due_at timestamptz,
    notice jsonb,
    cause jsonb
  )`,
  // The exchange's due time is a kit timer: a lease and a count of firings beside it.
  `ALTER TABLE {schema}.veto_kills ADD COLUMN IF NOT EXISTS claimed_until timestamptz`,
  `ALTER TABLE {schema}.veto_kills ADD COLUMN IF NOT EXISTS firings int NOT NULL DEFAULT 0`,
  `CREATE INDEX IF NOT EXISTS veto_kills_due ON {schema}.veto_kills (due_at) WHERE due_at IS NOT NULL`,
  `CREATE INDEX IF NOT EXISTS veto_kills_unsent ON {schema}.veto_kills (kill_id) WHERE notice IS NOT NULL`,
  `CREATE TABLE IF NOT EXISTS {schema}.veto_asks (
    correlation_id text PRIMARY KEY,
    request_id text NOT NULL UNIQUE,
    kill_id text NOT NULL
  )`,
];
