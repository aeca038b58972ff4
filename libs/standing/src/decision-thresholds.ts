import { Column, Entity, PrimaryColumn } from 'typeorm';
import { inRiskOrder, laterThresholds, thresholdsSetBy, type ControlEvent, type RiskLevel, type RiskThresholds, type ThresholdsUpdated } from '@medic/domain';
import { readStream, type LoggedEvent, type StreamProjection } from '@medic/eventlog';

/** The one row there is: the thresholds an admin last set (ThresholdsUpdated), in force over the configured ones. */
export const THRESHOLDS_SCOPE = 'current';

/** The columns of one set of thresholds and who set it when and why: the row in force, and each change in a history. */
export abstract class ThresholdsSetColumns {
  @Column('timestamptz', { name: 'updated_at' }) updatedAt!: Date;
  /** The admin (API key name) who set them. */
  @Column('text', { name: 'actor' }) actor!: string;
  @Column('text', { name: 'reason' }) reason!: string;
  /** Read back from minimal to high: jsonb keeps its keys in an order of its own. */
  @Column('jsonb', { name: 'thresholds', transformer: { to: (t: RiskThresholds) => t, from: (t: RiskThresholds | null) => (t === null ? t : inRiskOrder(t)) } })
  thresholds!: RiskThresholds;
  @Column('text', { name: 'max_risk_level' }) maxRiskLevel!: RiskLevel;
  @Column('double precision', { name: 'min_confidence' }) minConfidence!: number;
}

/** The same columns in DDL, after a table's key. */
export const THRESHOLDS_SET_COLUMNS_SQL = `updated_at timestamptz NOT NULL,
    actor text NOT NULL,
    reason text NOT NULL,
    thresholds jsonb NOT NULL,
    max_risk_level text NOT NULL,
    min_confidence double precision NOT NULL`;

/** The columns' values of an update. */
export function thresholdsSetOf(e: ThresholdsUpdated): ThresholdsSetColumns {
  return { updatedAt: new Date(e.at), actor: e.actor, reason: e.reason, thresholds: e.thresholds, maxRiskLevel: e.maxRiskLevel, minConfidence: e.minConfidence };
}

/**
 * The latest ThresholdsUpdated on the control log, kept by every service that
 * needs it in its own schema: the decision service decides by it, the gateway
 * shows it. No row: the configured thresholds hold.
 */
@Entity({ name: 'decision_thresholds' })
export class DecisionThresholdsRow extends ThresholdsSetColumns {
  @PrimaryColumn('text', { name: 'scope' }) scope!: string;
}

export const DECISION_THRESHOLDS_DDL = [
  `CREATE TABLE IF NOT EXISTS {schema}.decision_thresholds (
    scope text PRIMARY KEY,
    ${THRESHOLDS_SET_COLUMNS_SQL}
  )`,
];

/** The update a row holds. */
export function thresholdsUpdateOf(row: Omit<DecisionThresholdsRow, 'scope'>): ThresholdsUpdated {
  return {
    type: 'ThresholdsUpdated',
    at: new Date(row.updatedAt).toISOString(),
    actor: row.actor,
    reason: row.reason,
    thresholds: row.thresholds,
    maxRiskLevel: row.maxRiskLevel,
    minConfidence: row.minConfidence,
  };
}

export function thresholdsRowOf(e: ThresholdsUpdated): DecisionThresholdsRow {
  return Object.assign(new DecisionThresholdsRow(), { scope: THRESHOLDS_SCOPE, ...thresholdsSetOf(e) });
}

/** The thresholds in force, folded from the control log (updates and recalibrations): the later wins, whatever order they are read in. */
export function decisionThresholdsProjection(service: string): StreamProjection<'control', DecisionThresholdsRow> {
  return {
    name: `${service}.decision_thresholds`,
    entity: DecisionThresholdsRow,
    read: readStream('control', ['ThresholdsUpdated', 'ThresholdsRecalibrated']),
    keyOf: () => THRESHOLDS_SCOPE,
    evolve: (row, logged: LoggedEvent<ControlEvent>) => {
      const set = thresholdsSetBy(logged.data);
      if (set === null) return row;
      return thresholdsRowOf(laterThresholds(row === null ? null : thresholdsUpdateOf(row), set)!);
    },
  };
}
