import { round4 } from '../shared/numbers';
import type { RiskAssessment, RiskLevel, RiskThresholds } from '../risk/risk.types';

export interface DecisionConfidence {
  /** coverage × certainty, 4 decimals. */
  readonly value: number;
  readonly certainty: number;
  readonly nearestThreshold: number;
  readonly distance: number;
}

// A score 0.1 or more away from every boundary is as certain as it gets;
// one sitting on a boundary could as well have gone the other way.
const CERTAIN_DISTANCE = 0.1;

/**
 * The thresholds where the decision changes: the top of the highest level
 * that may be auto-approved, and the start of critical (denied). Crossing
 * minimal/low when both are auto-approvable changes nothing, so being near
 * it costs no confidence.
 */
export function decisionBoundaries(thresholds: RiskThresholds, maxAutoLevel: RiskLevel): readonly number[] {
  const top: Record<RiskLevel, number> = { minimal: thresholds.minimal, low: thresholds.low, medium: thresholds.medium, high: thresholds.high, critical: thresholds.high };
  return [...new Set([top[maxAutoLevel], thresholds.high])];
}

/** How far to trust the verdict: a missing source or a score on a decision boundary both lower it. */
export function decisionConfidence(risk: Pick<RiskAssessment, 'score' | 'coverage'>, boundaries: readonly number[]): DecisionConfidence {
  const nearestThreshold = boundaries.reduce((best, t) => (Math.abs(risk.score - t) < Math.abs(risk.score - best) ? t : best));
  const distance = round4(Math.abs(risk.score - nearestThreshold));
  const certainty = round4(0.5 + (0.5 * Math.min(distance, CERTAIN_DISTANCE)) / CERTAIN_DISTANCE);
  return { value: round4(risk.coverage * certainty), certainty, nearestThreshold, distance };
}

