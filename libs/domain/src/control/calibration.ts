import { round4 } from '../shared/numbers';
import type { OutcomeResult } from '../workflow/kill-events';
import type { ThresholdsRecalibrated } from './control-events';
import { THRESHOLD_BOUNDS, thresholdsProblems, type DecisionThresholds } from './decision-thresholds';

/** learning.analysis.min_samples and learning.threshold_adjustment.max_adjustment_percent */
export interface CalibrationSettings {
  readonly minSamples: number;
  readonly maxAdjustmentPercent: number;
}

/** Auto-approvals that turned out this well (or better) let auto-approval reach a little further. */
export const RAISE_AT_SUCCESS_RATE = 0.95;
/** Below this, auto-approval is pulled back a little. */
export const LOWER_BELOW_SUCCESS_RATE = 0.8;
/** What a moved bound keeps between itself and its neighbours, so the levels stay in order. */
const GAP = 0.01;

/**
 * The reboot plan's calibration (phase 4) as a pure rule. `results` are the
 * outcomes of auto-approved resurrections recorded since the last
 * recalibration; those that tell whether the kill was right count (success or
 * partial: it stayed up; re-killed or rolled back: it went wrong). With at
 * least `minSamples` of them, a success rate of 95 % or more raises the top
 * score auto-approval takes (the bound of the highest auto-approvable level),
 * one under 80 % lowers it, each by at most `maxAdjustmentPercent` of it and
 * never past the bounds beside it. Null when nothing should move.
 */
export function calibrate(results: readonly OutcomeResult[], inForce: DecisionThresholds, settings: CalibrationSettings, at: string, since: string | null): ThresholdsRecalibrated | null {
  const up = results.filter((r) => r === 'success' || r === 'partial').length;
  const wrong = results.filter((r) => r === 're_killed' || r === 'rollback').length;
  const samples = up + wrong;
  if (samples === 0 || samples < settings.minSamples) return null;
  const rate = up / samples;
  const direction = rate >= RAISE_AT_SUCCESS_RATE ? 1 : rate < LOWER_BELOW_SUCCESS_RATE ? -1 : 0;
  if (direction === 0) return null;
  const level = inForce.maxRiskLevel;
  if (level === 'critical') return null;
  const index = THRESHOLD_BOUNDS.indexOf(level);
  const previous = inForce.thresholds[level];
  const step = (previous * settings.maxAdjustmentPercent) / 100;
  const ceiling = index + 1 < THRESHOLD_BOUNDS.length ? inForce.thresholds[THRESHOLD_BOUNDS[index + 1]!] - GAP : 1 - GAP;
  const floor = index > 0 ? inForce.thresholds[THRESHOLD_BOUNDS[index - 1]!] + GAP : GAP;
  const next = round4(direction > 0 ? Math.min(previous + step, ceiling) : Math.max(previous - step, floor));
  if ((direction > 0 && next <= previous) || (direction < 0 && next >= previous)) return null;
  const thresholds = { ...inForce.thresholds, [level]: next };
  if (thresholdsProblems({ ...inForce, thresholds }).length > 0) return null;
  const pct = (r: number) => `${round4(r * 100)} %`;
  const evidence = [
    `${samples} auto-approved resurrections with an outcome${since === null ? '' : ` since ${since}`}: ${up} stayed up, ${wrong} went wrong (success rate ${pct(rate)})`,
    direction > 0
      ? `at least ${pct(RAISE_AT_SUCCESS_RATE)}: auto-approval reaches further, the top of ${level} risk from ${previous} to ${next}`
      : `under ${pct(LOWER_BELOW_SUCCESS_RATE)}: auto-approval is pulled back, the top of ${level} risk from ${previous} to ${next}`,
  ];
  return {
    type: 'ThresholdsRecalibrated',
    at,
    actor: 'learning',
    previousMaxAutoScore: previous,
    newMaxAutoScore: next,
    samples,
    evidence,
    thresholds,
    maxRiskLevel: inForce.maxRiskLevel,
    minConfidence: inForce.minConfidence,
  };
}
