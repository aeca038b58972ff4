import { Column, Entity, PrimaryColumn } from 'typeorm';

/** One recorded outcome of a kill (spec 2.5), as the gateway serves it (projection "gateway.outcomes"). */
@Entity({ name: 'outcomes' })
export class OutcomeView {
  @PrimaryColumn('text', { name: 'outcome_id' }) outcomeId!: string;
  @Column('text', { name: 'kill_id' }) killId!: string;
  @Column('text', { name: 'request_id', nullable: true }) requestId!: string | null;
  @Column('text', { name: 'decision_id' }) decisionId!: string;
  /** success | partial | failure | re_killed | rollback */
  @Column('text', { name: 'result' }) result!: string;
  @Column('timestamptz', { name: 'recorded_at' }) recordedAt!: Date;
  @Column('double precision', { name: 'time_to_stable_seconds', nullable: true }) timeToStableSeconds!: number | null;
  @Column('jsonb', { name: 'metrics' }) metrics!: Record<string, unknown>;
  @Column('text', { name: 'smith_feedback', nullable: true }) smithFeedback!: string | null;
  @Column('text', { name: 'human_feedback', nullable: true }) humanFeedback!: string | null;
  @Column('jsonb', { name: 'lessons_learned' }) lessonsLearned!: string[];
  @Column('boolean', { name: 'should_adjust_threshold' }) shouldAdjustThreshold!: boolean;
}

export const OUTCOMES_DDL = [
  `CREATE TABLE IF NOT EXISTS {schema}.outcomes (
    outcome_id text PRIMARY KEY,
    kill_id text NOT NULL,
    request_id text,
    decision_id text NOT NULL,
    result text NOT NULL,
    recorded_at timestamptz NOT NULL,
    time_to_stable_seconds double precision,
    metrics jsonb NOT NULL,
    smith_feedback text,
    human_feedback text,
    lessons_learned jsonb NOT NULL,
    should_adjust_threshold boolean NOT NULL
  )`,
  `CREATE INDEX IF NOT EXISTS outcomes_recorded ON {schema}.outcomes (recorded_at DESC, outcome_id)`,
  `CREATE INDEX IF NOT EXISTS outcomes_kill ON {schema}.outcomes (kill_id)`,
];
