import { buildDecision, evaluatePolicy } from '../decision/decision-policy';
import type { PolicyVerdict } from '../decision/policy.types';
import { assessRisk } from '../risk/risk-assessor';
import { siemGapsOf } from '../risk/risk.types';
import { addHours } from '../shared/time';
import type { DecideResurrection } from './kill-commands';
import type { ApprovalRequested, DecisionMade, KillEvent, RiskAssessed } from './kill-events';
import type { KillState } from './kill-state';
import { illegalCommand } from './command-guards';
import { awaitsEnrichment } from './enrichment-decisions';

/** Scores the kill and applies the policy, once: a kill is decided a single time. */
export function decideResurrection(command: DecideResurrection, state: KillState): KillEvent[] {
  if (state.status !== 'PENDING' || state.decision !== null) {
    throw illegalCommand(state, command, state.decision === null ? `it is ${state.status}` : 'it is already decided');
  }
  if (awaitsEnrichment(state)) throw illegalCommand(state, command, `it waits for the SIEM's context until ${state.enrichmentDeadline}`);
  const { killId, at } = command;
  const risk = assessRisk({ report: state.report, siem: command.siem, siemConfigured: command.siemStatus !== 'not_configured', history: command.history }, command.risk);
  const verdict = evaluatePolicy(
    {
      report: state.report,
      risk,
      thresholds: command.risk.thresholds,
      siemStatus: command.siemStatus,
      siemIndicators: command.siem?.indicators ?? [],
      siemGaps: siemGapsOf(command.siem),
      autoResurrectionsLastHour: command.autoResurrectionsLastHour,
      quarantine: command.quarantine,
      pendingApprovals: command.pendingApprovals,
      ...(command.recentKills === undefined ? {} : { recentKills: command.recentKills }),
    },
    command.policy,
  );
  const { decisionId, siemStatus } = command;
  const decision = buildDecision(verdict, { decisionId, killId, at, risk, mode: command.policy.mode, siemStatus });
  const assessed: RiskAssessed = { type: 'RiskAssessed', killId, at, assessment: risk };
  const decided: DecisionMade = { type: 'DecisionMade', killId, at, decision, targetModule: state.targetModule, targetInstanceId: state.report.targetInstanceId };
  return verdict.requiresHumanReview ? [assessed, decided, approvalRequest(command, verdict)] : [assessed, decided];
}

function approvalRequest(command: DecideResurrection, verdict: PolicyVerdict): ApprovalRequested {
  return {
    type: 'ApprovalRequested',
    killId: command.killId,
    at: command.at,
    decisionId: command.decisionId,
    queueItemId: command.queueItemId,
    expiresAt: addHours(command.at, command.policy.approvalTimeoutHours),
    reason: reviewReason(command, verdict),
  };
}

function reviewReason(command: DecideResurrection, verdict: PolicyVerdict): string {
  const barriers = verdict.autoApproveBarriers.map((b) => b.reason).join('; ');
  // In manual mode the mode is the reason; what would bar auto-approval is only context for the human.
  if (command.policy.mode === 'manual') return `manual mode: a human approves every resurrection${barriers ? ` (auto-approval would also be barred: ${barriers})` : ''}`;
  return barriers || `${command.policy.mode} mode: a human approves every resurrection`;
}
