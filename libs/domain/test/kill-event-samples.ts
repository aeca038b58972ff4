import type { DecisionOutcome, KillEvent, KillEventOf, KillEventType, ResurrectionDecision } from '@medic/domain';
import { aReport } from './domain-fixtures';

/* One well-formed event of each type for kill demo-1, for workflow tests. */

const killId = 'demo-1';
const at = '2026-02-11T12:00:10.000Z';

export function aDecision(outcome: DecisionOutcome, observeOnly = false): ResurrectionDecision {
  return {
    decisionId: 'dec-1',
    killId,
    timestamp: at,
    outcome,
    riskLevel: 'low',
    riskScore: 0.3,
    confidence: 1,
    reasoning: ['Risk score 0.3 (low).'],
    recommendedAction: 'restart module nginx-test',
    requiresHumanReview: outcome === 'pending_review',
    autoApproveEligible: outcome === 'approve_auto',
    constraints: [],
    timeoutMinutes: 60,
    mode: observeOnly ? 'observer' : 'semi_auto',
    observeOnly,
    siemStatus: 'used',
  };
}

export const SAMPLE_EVENTS: { readonly [T in KillEventType]: KillEventOf<T> } = {
  KillReported: {
    type: 'KillReported',
    killId,
    at: '2026-02-11T12:00:01.000Z',
    report: aReport(),
    correlationId: 'corr-1',
    replyTo: 'medic.responses',
    source: { topic: 'smith.events.kill_notifications', partition: 0, offset: '42' },
  },
  ContextEnriched: {
    type: 'ContextEnriched',
    killId,
    at,
    queryId: 'q-1',
    siemStatus: 'used',
    threatIndicators: [],
    falsePositiveHistory: 1,
    riskScore: 0.2,
    recommendation: 'resurrect',
    historicalBehavior: {},
    networkContext: {},
    userContext: null,
    failureReason: null,
    ignoredFields: [],
  },
  EnrichmentRequested: { type: 'EnrichmentRequested', killId, at, deadline: '2026-02-11T12:00:40.000Z' },
  RiskAssessed: { type: 'RiskAssessed', killId, at, assessment: { score: 0.3, level: 'low', factors: [], coverage: 1, likelihood: 0.4, impact: 0.5 } },
  DecisionMade: { type: 'DecisionMade', killId, at, decision: aDecision('pending_review'), targetModule: 'nginx-test' },
  ApprovalRequested: { type: 'ApprovalRequested', killId, at, decisionId: 'dec-1', queueItemId: 'q-item-1', expiresAt: '2026-02-12T12:00:10.000Z', reason: 'manual mode' },
  ApprovalGranted: { type: 'ApprovalGranted', killId, at, decisionId: 'dec-1', approver: 'alice', notes: null, commandId: 'cmd-1' },
  ApprovalDenied: { type: 'ApprovalDenied', killId, at, decisionId: 'dec-1', denier: 'bob', reason: 'looks hostile', commandId: 'cmd-2' },
  ApprovalExpired: { type: 'ApprovalExpired', killId, at, decisionId: 'dec-1', commandId: null },
  VetoRequested: {
    type: 'VetoRequested',
    killId,
    at,
    requestId: 'req-1',
    correlationId: 'veto-1',
    timeoutSeconds: 30,
    deadline: '2026-02-11T12:00:40.000Z',
    attempt: 1,
    noticeTopic: 'smith.veto.requests',
    replyTo: 'medic.responses',
    approvedBy: 'policy:auto-approve',
  },
  VetoCleared: { type: 'VetoCleared', killId, at, requestId: 'req-1', basis: 'approve', reason: 'Smith agrees', approvedBy: 'policy:auto-approve' },
  ResurrectionVetoed: { type: 'ResurrectionVetoed', killId, at, requestId: 'req-1', basis: 'veto', reason: 'still hostile', newEvidence: [] },
  ResurrectionStarted: { type: 'ResurrectionStarted', killId, at, requestId: 'req-1', targetModule: 'nginx-test', targetInstanceId: 'inst-001', approvedBy: 'alice', attempt: 1, containerId: 'c-1', startedAtBefore: '2026-02-11T11:00:00.000Z', fromSnapshot: false },
  ResurrectionSucceeded: { type: 'ResurrectionSucceeded', killId, at, requestId: 'req-1', containerId: 'c-1', action: 'restart', durationMs: 800 },
  ResurrectionFailed: { type: 'ResurrectionFailed', killId, at, requestId: 'req-1', reason: 'no such container', retriable: true },
  StabilityConfirmed: { type: 'StabilityConfirmed', killId, at, requestId: 'req-1', timeToStableSeconds: 120, metrics: {} },
  AnomalyDetected: { type: 'AnomalyDetected', killId, at, requestId: 'req-1', anomalyScore: 0.9, findings: ['restart loop'] },
  AnomalyCleared: { type: 'AnomalyCleared', killId, at, requestId: 'req-1', reason: 'settled' },
  RollbackStarted: { type: 'RollbackStarted', killId, at, requestId: 'req-1', reason: 'anomaly 0.9', actor: 'policy:auto-rollback', containerId: 'c-1' },
  RollbackCompleted: { type: 'RollbackCompleted', killId, at, requestId: 'req-1' },
  RollbackFailed: { type: 'RollbackFailed', killId, at, requestId: 'req-1', reason: 'engine unreachable' },
  OutcomeRecorded: {
    type: 'OutcomeRecorded',
    killId,
    at,
    outcomeId: 'out-1',
    requestId: 'req-1',
    decisionId: 'dec-1',
    result: 'success',
    timeToStableSeconds: 120,
    metrics: {},
    smithFeedback: null,
    humanFeedback: null,
    lessonsLearned: [],
    shouldAdjustThreshold: false,
  },
  VetoDeferred: { type: 'VetoDeferred', killId, at, requestId: 'req-1', reason: 'still looking', newEvidence: ['beacon at 12:00'], askAgainAt: '2026-02-11T12:01:10.000Z', defers: 1 },
  RollbackRequested: { type: 'RollbackRequested', killId, at, requestId: 'req-1', actor: 'ops-console', reason: 'errors in the logs', commandId: 'cmd-4' },
  CommandRejected: {
    type: 'CommandRejected',
    killId,
    at,
    commandId: 'cmd-3',
    commandType: 'GrantApproval',
    actor: 'carol',
    code: 'illegal_transition',
    reason: 'GrantApproval rejected for kill demo-1: it is DENIED',
  },
  ResurrectionDeferred: { type: 'ResurrectionDeferred', killId, at, notBefore: '2026-02-11T12:00:30.000Z', reason: 'module nginx-test was killed again 2 times in a row', attempt: 2 },
  ResurrectionResumed: { type: 'ResurrectionResumed', killId, at: '2026-02-11T12:00:30.000Z', commandId: 'cmd-4', approvedBy: 'policy:auto-approve', notBefore: '2026-02-11T12:00:30.000Z' },
};

/** The sample event of a type, with some fields changed. */
export const sample = <T extends KillEventType>(type: T, changes: Partial<KillEventOf<T>> = {}): KillEvent => ({ ...SAMPLE_EVENTS[type], ...changes });
