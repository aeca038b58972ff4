import type { RiskAssessment } from '../risk/risk.types';
import { autoApprovalBarriers, denialReasons } from './auto-approval';
import { decisionBoundaries, decisionConfidence } from './decision-confidence';
import type { Mode, ResurrectionDecision, SiemStatus } from './decision.types';
import { outcomeForMode } from './mode-outcome';
import type { PolicyInput, PolicySettings, PolicyVerdict } from './policy.types';
import { confidenceSummary, constraintsFor, recommendedAction, riskSummary, siemSummary } from './verdict-wording';

/**
 * Decides what should happen to a killed module, given its risk and the
 * configured mode and safety constraints. Pure: every input, including the
 * hourly auto-resurrection count, comes from the caller. The reasoning lists
 * each step in order so that the decision can be read back and audited.
 */
export function evaluatePolicy(input: PolicyInput, settings: PolicySettings): PolicyVerdict {
  const { risk, report } = input;
  const confidence = decisionConfidence(risk, decisionBoundaries(input.thresholds, settings.autoApprove.maxRiskLevel));
  const denials = denialReasons(input, settings);
  const barriers = autoApprovalBarriers(input, settings, confidence.value);
  const pending = input.pendingApprovals ?? 0;
  const mode = outcomeForMode(settings.mode, { denied: denials.length > 0, barriers, level: risk.level, queueFull: pending >= settings.maxPendingApprovals });
  if (mode.queueFull) {
    denials.push({ code: 'queue_full', reason: `the approval queue is full (${pending} items wait for a human, at most ${settings.maxPendingApprovals} may), so no human can be asked` });
  }
  const reasoning = [
    riskSummary(risk),
    siemSummary(input.siemStatus, input.siemIndicators ?? [], input.siemGaps),
    confidenceSummary(confidence, risk.coverage),
    ...denials.map((d) => `Deny: ${d.reason}.`),
    ...eligibilityLines(barriers, denials.length > 0),
    mode.explanation,
  ];
  return {
    outcome: mode.outcome,
    confidence: confidence.value,
    reasoning,
    recommendedAction: recommendedAction(mode.outcome, mode.observeOnly, report.targetModule),
    requiresHumanReview: mode.outcome === 'pending_review' && !mode.observeOnly,
    autoApproveEligible: barriers.length === 0 && denials.length === 0,
    constraints: constraintsFor(mode.outcome, mode.observeOnly, input, settings),
    timeoutMinutes: settings.defaultTimeoutMinutes,
    observeOnly: mode.observeOnly,
    autoApproveBarriers: barriers,
    denials: denials.map((d) => d.code),
  };
}

function eligibilityLines(barriers: PolicyVerdict['autoApproveBarriers'], denied: boolean): string[] {
  if (barriers.length === 0) return [denied ? 'Not eligible for auto-approval: the kill is denied outright (above).' : 'Eligible for auto-approval: every condition is met.'];
  return barriers.map((b) => `Not eligible for auto-approval: ${b.reason}.`);
}

export interface DecisionMeta {
  readonly decisionId: string;
  readonly killId: string;
  readonly at: string;
  readonly risk: RiskAssessment;
  readonly mode: Mode;
  readonly siemStatus: SiemStatus;
}

/** Stamps a verdict with its id, kill and time: the spec 2.3 decision that goes into DecisionMade. */
export function buildDecision(verdict: PolicyVerdict, meta: DecisionMeta): ResurrectionDecision {
  return {
    decisionId: meta.decisionId,
    killId: meta.killId,
    timestamp: meta.at,
    outcome: verdict.outcome,
    riskLevel: meta.risk.level,
    riskScore: meta.risk.score,
    confidence: verdict.confidence,
    reasoning: verdict.reasoning,
    recommendedAction: verdict.recommendedAction,
    requiresHumanReview: verdict.requiresHumanReview,
    autoApproveEligible: verdict.autoApproveEligible,
    constraints: verdict.constraints,
    timeoutMinutes: verdict.timeoutMinutes,
    mode: meta.mode,
    observeOnly: verdict.observeOnly,
    siemStatus: meta.siemStatus,
    grounds: { autoApproveBarriers: verdict.autoApproveBarriers.map((b) => b.code), denials: verdict.denials },
  };
}
