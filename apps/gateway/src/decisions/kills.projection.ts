import { assertNever, type KillEvent } from '@medic/domain';
import type { LoggedEvent, Projection } from '@medic/eventlog';
import { KillView } from './kill-view.entity';

/**
 * Folds the kill log into one KillView row per kill. Pure: the row after an
 * event depends only on the row before and the event.
 */
export const killsProjection: Projection<'kill', KillView> = {
  name: 'gateway.kills',
  stream: 'kill',
  entity: KillView,
  handles: ['KillReported', 'RiskAssessed', 'DecisionMade', 'ApprovalRequested'],
  keyOf: (event) => event.data.killId,
  evolve: evolveKillView,
};

export function evolveKillView(row: KillView | null, logged: LoggedEvent<KillEvent>): KillView | null {
  const e = logged.data;
  if (e.type === 'KillReported') {
    // A kill is reported once; a repeat in the log changes nothing.
    return row ?? reported(logged, e);
  }
  if (row === null) return null;
  const next: KillView = Object.assign(new KillView(), row, { lastEventId: logged.id, updatedAt: new Date(e.at) });
  switch (e.type) {
    case 'RiskAssessed':
      return Object.assign(next, {
        riskScore: e.assessment.score,
        riskLevel: e.assessment.level,
        riskFactors: [...e.assessment.factors],
        riskCoverage: e.assessment.coverage,
      });
    case 'DecisionMade': {
      const d = e.decision;
      return Object.assign(next, {
        status: d.outcome === 'deny' ? 'denied' : d.outcome === 'approve_auto' && !d.observeOnly ? 'approved' : 'pending',
        decisionId: d.decisionId,
        outcome: d.outcome,
        riskLevel: d.riskLevel,
        riskScore: d.riskScore,
        confidence: d.confidence,
        reasoning: [...d.reasoning],
        recommendedAction: d.recommendedAction,
        requiresHumanReview: d.requiresHumanReview,
        autoApproveEligible: d.autoApproveEligible,
        constraints: [...d.constraints],
        timeoutMinutes: d.timeoutMinutes,
        mode: d.mode,
        observeOnly: d.observeOnly,
        siemStatus: d.siemStatus,
        decidedAt: new Date(d.timestamp),
      });
    }
    case 'ApprovalRequested':
      return Object.assign(next, { approvalQueueItemId: e.queueItemId, approvalExpiresAt: new Date(e.expiresAt) });
    // Not folded into this view (yet): the runner never passes them, see `handles`.
    case 'ContextEnriched':
    case 'ApprovalGranted':
    case 'ApprovalDenied':
    case 'ApprovalExpired':
    case 'VetoRequested':
    case 'VetoCleared':
    case 'ResurrectionVetoed':
    case 'ResurrectionStarted':
    case 'ResurrectionSucceeded':
    case 'ResurrectionFailed':
    case 'StabilityConfirmed':
    case 'AnomalyDetected':
    case 'AnomalyCleared':
    case 'RollbackStarted':
    case 'RollbackCompleted':
    case 'RollbackFailed':
    case 'OutcomeRecorded':
    case 'CommandRejected':
      return row;
    default:
      return assertNever(e, 'kill event');
  }
}

function reported(logged: LoggedEvent<KillEvent>, e: Extract<KillEvent, { type: 'KillReported' }>): KillView {
  const r = e.report;
  return Object.assign(new KillView(), {
    killId: e.killId,
    status: 'pending',
    targetModule: r.targetModule,
    targetInstanceId: r.targetInstanceId,
    killReason: r.killReason,
    severity: r.severity,
    smithConfidence: r.confidenceScore,
    sourceAgent: r.sourceAgent,
    killedAt: new Date(r.timestamp),
    reportedAt: new Date(e.at),
    decisionId: null,
    outcome: null,
    riskLevel: null,
    riskScore: null,
    confidence: null,
    reasoning: null,
    riskFactors: null,
    riskCoverage: null,
    recommendedAction: null,
    requiresHumanReview: null,
    autoApproveEligible: null,
    constraints: null,
    timeoutMinutes: null,
    mode: null,
    observeOnly: null,
    siemStatus: null,
    decidedAt: null,
    approvalQueueItemId: null,
    approvalExpiresAt: null,
    lastEventId: logged.id,
    updatedAt: new Date(e.at),
  });
}
