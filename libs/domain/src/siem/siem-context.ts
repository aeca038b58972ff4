import { clamp01, round4 } from '../shared/numbers';
import type { ThreatIndicator } from '../workflow/kill-events';

/**
 * The SIEM's view of a kill from its indicators: the aggregated risk is a
 * noisy-OR of the indicator scores (each indicator an independent chance
 * that the module is compromised), so one strong indicator counts for a lot,
 * many weak ones add up, and none means 0.
 */
export function aggregateRisk(indicators: readonly ThreatIndicator[]): number {
  const clean = distinctIndicators(indicators).reduce((p, i) => p * (1 - clamp01(i.threatScore)), 1);
  return round4(1 - clean);
}

/**
 * One indicator per type, value and source, at its highest score: the same
 * sighting written twice (a feed loaded again) is not a second piece of
 * evidence. The same value from two sources still counts twice.
 */
export function distinctIndicators(indicators: readonly ThreatIndicator[]): ThreatIndicator[] {
  const strongest = new Map<string, ThreatIndicator>();
  for (const i of indicators) {
    const key = JSON.stringify([i.indicatorType, i.value, i.source]);
    const known = strongest.get(key);
    if (!known || i.threatScore > known.threatScore) strongest.set(key, i);
  }
  return [...strongest.values()];
}

/** The SIEM's own recommendation, from its aggregated risk and the module's false positives. */
export function siemRecommendation(riskScore: number, falsePositives: number): string {
  if (riskScore >= 0.8) return 'keep down: strong threat indicators for the module';
  if (riskScore >= 0.5) return 'review: threat indicators for the module';
  if (falsePositives > 0 && riskScore < 0.2) return `resurrect: no significant indicators, ${falsePositives} earlier false positives`;
  return riskScore < 0.2 ? 'resurrect: no significant indicators' : 'review: weak threat indicators';
}
