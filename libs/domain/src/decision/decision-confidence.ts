import { round4 } from '../shared/numbers';
import { thresholdValues } from '../risk/risk-level';
import type { RiskAssessment, RiskThresholds } from '../risk/risk.types';

export interface DecisionConfidence {
  /** coverage × certainty, 4 decimals. */
  readonly value: number;
  readonly certainty: number;
  readonly nearestThreshold: number;
  readonly distance: number;
}

// A score 0.1 or more away from every threshold is as certain as it gets;
// one sitting on a threshold could as well have been the other level.
const CERTAIN_DISTANCE = 0.1;

/** How far to trust the level: little observed input or a score on a boundary both lower it. */
export function decisionConfidence(risk: RiskAssessment, thresholds: RiskThresholds): DecisionConfidence {
  const nearestThreshold = thresholdValues(thresholds).reduce((best, t) =>
    Math.abs(risk.score - t) < Math.abs(risk.score - best) ? t : best,
  );
  const distance = round4(Math.abs(risk.score - nearestThreshold));
  const certainty = round4(0.5 + (0.5 * Math.min(distance, CERTAIN_DISTANCE)) / CERTAIN_DISTANCE);
  return { value: round4(risk.coverage * certainty), certainty, nearestThreshold, distance };
}
