import { APPROVAL_EXPIRY_ACTOR, assertNever, type KillEvent } from '@medic/domain';
import { readStream, type LoggedEvent, type StreamProjection } from '@medic/eventlog';
import { KillView } from './kill-view.entity';

/**
 * Folds the kill log into one KillView row per kill. Pure: the row after an
 * event depends only on the row before and the event.
 */
export const killsProjection: StreamProjection<'kill', KillView> = {
  name: 'gateway.kills',
  // 4: resurrections held back; 5: the veto exchange, a human's verdict as the outcome, observed decisions;
  // 6: the version of Smith's message and the fields of a later minor version left out;
  // 7: tallies of outcomes and approval statuses.
  version: 7,
  entity: KillView,
  read: readStream('kill', [
    'KillReported',
    'RiskAssessed',
    'DecisionMade',
    'ApprovalRequested',
    'ApprovalGranted',
    'ApprovalDenied',
    'ApprovalExpired',
    'VetoRequested',
    'VetoDeferred',
    'VetoCleared',
    'ResurrectionVetoed',
    'ResurrectionDeferred',
    'ResurrectionStarted',
    'ResurrectionFailed',
  ]),
  keyOf: (event) => event.data.killId,
  evolve: evolveKillView,
  tally: killTallies,
};

/** What GET /status counts without reading every kill: decisions by outcome, approvals by status. */
export function killTallies(row: KillView): string[] {
  return [...(row.outcome ? [`outcome:${row.outcome}`] : []), ...(row.approvalStatus ? [`approval:${row.approvalStatus}`] : [])];
}

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
        status: d.observeOnly ? 'observed' : d.outcome === 'deny' ? 'denied' : d.outcome === 'approve_auto' ? 'approved' : 'pending',
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
      return Object.assign(next, {
        // An automatic approval a quarantine overtook waits for a human: its outcome is a review's until the human answers.
        ...(row.status === 'approved' ? { status: 'pending', outcome: 'pending_review' } : {}),
        approvalQueueItemId: e.queueItemId,
        approvalExpiresAt: new Date(e.expiresAt),
        approvalStatus: 'pending',
        approvalRequestedAt: new Date(e.at),
        reviewReason: e.reason,
      });
    case 'ApprovalGranted':
      // A human's verdict is the decision's outcome from now on (spec 2.3 approve_manual); the reasoning stays Medic's own.
      return Object.assign(next, answered(e, 'granted', e.approver), { status: 'approved', outcome: 'approve_manual', approvalNotes: e.notes });
    case 'ApprovalDenied':
      return Object.assign(next, answered(e, 'denied', e.denier), { status: 'denied', outcome: 'deny', denialReason: e.reason });
    case 'ApprovalExpired':
      return Object.assign(next, answered(e, 'expired', APPROVAL_EXPIRY_ACTOR), { status: 'expired' });
    case 'VetoRequested':
      // A defer's notice asked again keeps what Smith said last until it answers this one.
      return Object.assign(next, { vetoStatus: 'awaiting_answer', vetoRequestedAt: row.vetoRequestedAt ?? new Date(e.at), vetoDeadline: new Date(e.deadline), vetoAttempts: e.attempt });
    case 'VetoDeferred':
      return Object.assign(next, { vetoStatus: 'deferred', vetoBasis: 'defer', vetoReason: e.reason, vetoEvidence: [...e.newEvidence], vetoAnsweredAt: new Date(e.at) });
    case 'VetoCleared':
      return Object.assign(next, { vetoStatus: 'cleared', vetoBasis: e.basis, vetoReason: e.reason, vetoAnsweredAt: new Date(e.at) });
    case 'ResurrectionVetoed':
      return Object.assign(next, { status: 'vetoed', vetoStatus: 'vetoed', vetoBasis: e.basis, vetoReason: e.reason, vetoEvidence: [...e.newEvidence], vetoAnsweredAt: new Date(e.at) });
    case 'ResurrectionDeferred':
      // Held back again while it waits: it has been held since the first time.
      return Object.assign(next, { heldSince: row.heldSince ?? new Date(e.at), heldUntil: new Date(e.notBefore), heldReason: e.reason, heldFor: [...e.waitsForKillIds] });
    case 'ResurrectionStarted':
    case 'ResurrectionFailed':
      // The hold is over: the resurrection was started, or refused before it could be.
      return row.heldSince === null ? row : Object.assign(next, { heldSince: null, heldUntil: null, heldReason: null, heldFor: null });
    // Not folded into this view (yet): its reader never passes them.
    case 'ContextEnriched':
    case 'EnrichmentRequested':
    case 'ResurrectionSucceeded':
    case 'StabilityConfirmed':
    case 'AnomalyDetected':
    case 'AnomalyCleared':
    case 'HealthChecked':
    case 'RollbackRequested':
    case 'RollbackStarted':
    case 'RollbackCompleted':
    case 'RollbackFailed':
    case 'OutcomeRecorded':
    case 'ResurrectionResumed':
    case 'CommandRejected':
      return row;
    default:
      return assertNever(e, 'kill event');
  }
}

function answered(e: { at: string; commandId: string | null }, approvalStatus: string, by: string | null): Partial<KillView> {
  return { approvalStatus, approvalBy: by, approvalAt: new Date(e.at), approvalCommandId: e.commandId };
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
    signedBy: e.signedBy ?? null,
    reportVersion: e.smithVersion ?? null,
    reportIgnoredFields: [...e.ignoredFields],
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
    approvalStatus: null,
    approvalRequestedAt: null,
    reviewReason: null,
    approvalBy: null,
    approvalAt: null,
    approvalNotes: null,
    denialReason: null,
    approvalCommandId: null,
    heldSince: null,
    heldUntil: null,
    heldReason: null,
    heldFor: null,
    vetoStatus: null,
    vetoBasis: null,
    vetoReason: null,
    vetoEvidence: null,
    vetoRequestedAt: null,
    vetoDeadline: null,
    vetoAnsweredAt: null,
    vetoAttempts: null,
    lastEventId: logged.id,
    updatedAt: new Date(e.at),
  });
}
