import type { RiskAssessment } from '../risk/risk.types';
import type { VetoRequested } from '../workflow/kill-events';
import type { NoticeRisk, PreResurrectionNotice } from './veto.types';

/** The risk as a notice shows it: level, score and the contribution of each factor that took part. */
export function noticeRiskOf(assessment: RiskAssessment): NoticeRisk {
  const factors = assessment.factors.filter((f) => !f.outOfModel && f.observed).map((f) => [f.name, f.contribution] as const);
  return { level: assessment.level, score: assessment.score, factors: Object.fromEntries(factors) };
}

/** The PRE_RESURRECTION_NOTICE (spec 4.4) a VetoRequested sends to Smith. */
export function preResurrectionNotice(ask: VetoRequested, targetModule: string, risk: NoticeRisk): PreResurrectionNotice {
  return {
    message_type: 'PRE_RESURRECTION_NOTICE',
    request_id: ask.requestId,
    kill_id: ask.killId,
    target_module: targetModule,
    proposed_action: 'resurrect',
    risk_assessment: risk,
    timeout_seconds: ask.timeoutSeconds,
    correlation_id: ask.correlationId,
    reply_to: ask.replyTo,
  };
}
