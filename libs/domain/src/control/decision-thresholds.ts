import type { PolicySettings, RiskSettings } from '../decision/policy.types';
import type { RiskLevel, RiskThresholds } from '../risk/risk.types';
import type { ControlEvent, ThresholdsUpdated } from './control-events';

/**
 * What an admin may change while Medic runs (PUT /config/thresholds): where
 * each risk level ends, and the limits of auto-approval. Everything else
 * stays as configured.
 */
export interface DecisionThresholds {
  readonly thresholds: RiskThresholds;
  readonly maxRiskLevel: RiskLevel;
  readonly minConfidence: number;
}

/** A change asked for: any of the three parts, the rest kept. */
export interface ThresholdsChange {
  readonly thresholds?: Partial<RiskThresholds>;
  readonly maxRiskLevel?: RiskLevel;
  readonly minConfidence?: number;
}

export interface ThresholdsProblem {
  /** The field as the API names it, e.g. `thresholds.low`. */
  readonly field: string;
  readonly message: string;
}

/** The risk levels that end at a threshold (risk.thresholds.*), in order: every level but critical. */
export const THRESHOLD_BOUNDS = ['minimal', 'low', 'medium', 'high'] as const satisfies readonly RiskLevel[];
/** Critical risk is always denied: auto-approval can reach high at most, the levels that end at a threshold. */
export const AUTO_APPROVABLE_LEVELS: readonly RiskLevel[] = THRESHOLD_BOUNDS;

export function thresholdsOf(policy: PolicySettings, risk: RiskSettings): DecisionThresholds {
  return { thresholds: risk.thresholds, maxRiskLevel: policy.autoApprove.maxRiskLevel, minConfidence: policy.autoApprove.minConfidence };
}

/** The configured settings with the thresholds of the latest update, if any. */
export function withThresholds(policy: PolicySettings, risk: RiskSettings, update: DecisionThresholds | null): { policy: PolicySettings; risk: RiskSettings } {
  if (update === null) return { policy, risk };
  return {
    policy: { ...policy, autoApprove: { ...policy.autoApprove, maxRiskLevel: update.maxRiskLevel, minConfidence: update.minConfidence } },
    risk: { ...risk, thresholds: update.thresholds },
  };
}

/** `current` with the change applied: what an update would make of it. */
export function changedThresholds(current: DecisionThresholds, change: ThresholdsChange): DecisionThresholds {
  return {
    thresholds: { ...current.thresholds, ...change.thresholds },
    maxRiskLevel: change.maxRiskLevel ?? current.maxRiskLevel,
    minConfidence: change.minConfidence ?? current.minConfidence,
  };
}

/** Why these thresholds cannot hold (none: they can): bounds strictly rising inside (0, 1), a confidence in [0, 1], a level auto-approval can reach. */
export function thresholdsProblems(t: DecisionThresholds): ThresholdsProblem[] {
  const problems: ThresholdsProblem[] = [];
  for (const bound of THRESHOLD_BOUNDS) {
    const v = t.thresholds[bound];
    if (!Number.isFinite(v) || v <= 0 || v >= 1) problems.push({ field: `thresholds.${bound}`, message: `must be a number between 0 and 1 (exclusive), got ${v}` });
  }
  for (let i = 1; i < THRESHOLD_BOUNDS.length; i++) {
    const [below, above] = [THRESHOLD_BOUNDS[i - 1]!, THRESHOLD_BOUNDS[i]!];
    if (t.thresholds[above] <= t.thresholds[below]) {
      problems.push({ field: `thresholds.${above}`, message: `must be greater than thresholds.${below} (${t.thresholds[below]}), got ${t.thresholds[above]}` });
    }
  }
  if (!AUTO_APPROVABLE_LEVELS.includes(t.maxRiskLevel)) problems.push({ field: 'max_risk_level', message: `must be one of ${AUTO_APPROVABLE_LEVELS.join(', ')} (critical is always denied)` });
  if (!Number.isFinite(t.minConfidence) || t.minConfidence < 0 || t.minConfidence > 1) problems.push({ field: 'min_confidence', message: `must be a number from 0 to 1, got ${t.minConfidence}` });
  return problems;
}

/**
 * The update that holds of two: the later one, ties broken by the actor's
 * name, so that folding updates in any order comes to the same thresholds.
 */
export function laterThresholds(a: ThresholdsUpdated | null, b: ThresholdsUpdated | null): ThresholdsUpdated | null {
  if (a === null || b === null) return a ?? b;
  const order = Date.parse(a.at) - Date.parse(b.at) || (a.actor === b.actor ? 0 : a.actor > b.actor ? 1 : -1);
  return order >= 0 ? a : b;
}

/**
 * The thresholds a control event set, as an update: what the services keep
 * in force. Only updates and recalibrations set any; a recalibration written
 * before it carried the whole set sets nothing (null).
 */
export function thresholdsSetBy(e: ControlEvent): ThresholdsUpdated | null {
  if (e.type === 'ThresholdsUpdated') return e;
  if (e.type !== 'ThresholdsRecalibrated') return null;
  if (e.thresholds === null || e.maxRiskLevel === null || e.minConfidence === null) return null;
  const reason = `recalibrated from ${e.samples} outcomes: ${e.previousMaxAutoScore} → ${e.newMaxAutoScore}${e.evidence.length > 0 ? `; ${e.evidence.join('; ')}` : ''}`;
  return { type: 'ThresholdsUpdated', at: e.at, actor: e.actor, reason, thresholds: e.thresholds, maxRiskLevel: e.maxRiskLevel, minConfidence: e.minConfidence };
}
