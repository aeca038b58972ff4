import { aggregateRisk, siemRecommendation, unavailableContext, type ContextEnriched, type KillReported } from '@medic/domain';
import type { Attempted } from './siem/resilient-siem';
import type { SiemAnswer } from './siem/siem-client';

/**
 * The kill's SIEM context as an event: what the SIEM answered (its
 * indicators aggregated into a risk score, its recommendation, and what of
 * its answer could not be used), or that it could not answer, and why.
 */
export function contextEnriched(reported: KillReported, answer: Attempted<SiemAnswer> | undefined, queryId: string, at: string): ContextEnriched {
  if (!answer || !answer.ok) return unavailableContext(reported.killId, at, queryId, answer ? answer.reason : 'the SIEM was not asked');
  const a = answer.value;
  // Half an answer is no answer: a failed search would read as "no indicators".
  if (a.failed !== null) return unavailableContext(reported.killId, at, queryId, `the SIEM answered only in part (${a.failed})`);
  const riskScore = aggregateRisk(a.indicators);
  return {
    type: 'ContextEnriched',
    killId: reported.killId,
    at,
    queryId,
    siemStatus: 'used',
    threatIndicators: a.indicators,
    falsePositiveHistory: a.falsePositives,
    riskScore,
    recommendation: siemRecommendation(riskScore, a.falsePositives),
    historicalBehavior: a.historicalBehavior,
    networkContext: a.networkContext,
    userContext: a.userContext,
    failureReason: null,
    ignoredFields: a.ignored,
    unusableIndicators: a.unusableIndicators,
  };
}

/**
 * The window searched for a kill: `days` before Smith's kill up to it. A
 * kill stamped later than Medic received it (Smith's clock ahead, or a bogus
 * date) is searched up to its receipt: the SIEM has nothing from after
 * that, and an empty future window would read as a clean record.
 */
export function windowOf(reported: KillReported, days: number): { from: string; to: string } {
  const to = Math.min(Date.parse(reported.report.timestamp), Date.parse(reported.at));
  return { from: new Date(to - days * 86_400_000).toISOString(), to: new Date(to).toISOString() };
}
