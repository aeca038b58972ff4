import { Column, Entity, PrimaryColumn } from 'typeorm';
import { DECISION_THRESHOLDS_DDL, DecisionThresholdsRow } from '@medic/standing';

/** An auto-approved kill and the outcome of its resurrection, once recorded (projection "learning.auto_outcomes"). */
@Entity({ name: 'auto_outcomes' })
export class AutoOutcomeRow {
  @PrimaryColumn('text', { name: 'kill_id' }) killId!: string;
  @Column('timestamptz', { name: 'approved_at' }) approvedAt!: Date;
  /** success | partial | failure | re_killed | rollback; null until recorded. */
  @Column('text', { name: 'result', nullable: true }) result!: string | null;
  @Column('timestamptz', { name: 'result_at', nullable: true }) resultAt!: Date | null;
}

/** When the learning service last recalibrated (projection "learning.recalibrations", from its own events on the control log). */
@Entity({ name: 'recalibrations' })
export class RecalibrationRow {
  @PrimaryColumn('text', { name: 'scope' }) scope!: string;
  @Column('timestamptz', { name: 'last_at' }) lastAt!: Date;
}

/** When the next analysis is due: the schedule, kept in the database so that a restart keeps it. */
@Entity({ name: 'analysis_schedule' })
export class AnalysisScheduleRow {
  @PrimaryColumn('text', { name: 'scope' }) scope!: string;
  @Column('timestamptz', { name: 'next_due_at' }) nextDueAt!: Date;
  @Column('timestamptz', { name: 'last_run_at', nullable: true }) lastRunAt!: Date | null;
}

export const LEARNING_ENTITIES = [AutoOutcomeRow, RecalibrationRow, AnalysisScheduleRow, DecisionThresholdsRow];

export const LEARNING_DDL = [
  `CREATE TABLE IF NOT EXISTS {schema}.auto_outcomes (
    kill_id text PRIMARY KEY,
    approved_at timestamptz NOT NULL,
    result text,
    result_at timestamptz
  )`,
  `CREATE INDEX IF NOT EXISTS auto_outcomes_result_at ON {schema}.auto_outcomes (result_at) WHERE result_at IS NOT NULL`,
  `CREATE TABLE IF NOT EXISTS {schema}.recalibrations (
    scope text PRIMARY KEY,
    last_at timestamptz NOT NULL
  )`,
  `CREATE TABLE IF NOT EXISTS {schema}.analysis_schedule (
    scope text PRIMARY KEY,
    next_due_at timestamptz NOT NULL,
    last_run_at timestamptz
  )`,
  ...DECISION_THRESHOLDS_DDL,
];
