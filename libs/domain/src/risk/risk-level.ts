import { RISK_LEVELS, type RiskLevel, type RiskThresholds } from './risk.types';

/** score < minimal → minimal, < low → low, < medium → medium, < high → high, otherwise critical. */
export function riskLevelFor(score: number, thresholds: RiskThresholds): RiskLevel {
  if (score < thresholds.minimal) return 'minimal';
  if (score < thresholds.low) return 'low';
  if (score < thresholds.medium) return 'medium';
  if (score < thresholds.high) return 'high';
  return 'critical';
}

/** 0 for minimal up to 4 for critical. */
export function riskLevelRank(level: RiskLevel): number {
  return RISK_LEVELS.indexOf(level);
}

/** Negative when a is less risky than b, zero when equal, positive when riskier; usable as a sort comparator. */
export function compareRiskLevels(a: RiskLevel, b: RiskLevel): number {
  return riskLevelRank(a) - riskLevelRank(b);
}

export function thresholdValues(thresholds: RiskThresholds): readonly number[] {
  return [thresholds.minimal, thresholds.low, thresholds.medium, thresholds.high];
}

/**
 * The thresholds with their keys from minimal to high, as they are read. A jsonb
 * column gives its keys back in its own order (low, high, medium, minimal).
 */
export function inRiskOrder(thresholds: RiskThresholds): RiskThresholds {
  return { minimal: thresholds.minimal, low: thresholds.low, medium: thresholds.medium, high: thresholds.high };
}
