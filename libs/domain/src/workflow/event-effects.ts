import { distinctIndicators } from '../siem/siem-context';
import type { ResurrectionDecision } from '../decision/decision.types';
import { attemptDelayMs } from '../resurrection/retry-attempts';
import { assertNever } from '../shared/errors';
import { addMilliseconds } from '../shared/time';
import type { KillEvent, KillEventType, ThreatIndicator } from './kill-events';
import { AUTO_APPROVER, type KillState } from './kill-state';
import { ROLLBACK_FROM } from './rollback-decisions';
import { WORKFLOW_STATUSES, type WorkflowStatus } from './workflow-status';

/** The facts an event adds to the state, beside the status. */
export type KillFacts = Partial<Omit<KillState, 'killId' | 'status' | 'history' | 'lastEventAt'>>;

export interface Effect {
  readonly to: WorkflowStatus;
  readonly facts: KillFacts;
}

/**
 * The statuses in which each event may happen (KillReported only starts a
 * kill). A status change must also be in TRANSITIONS; this table is narrower,
 * so that e.g. RollbackFailed cannot land on FAILED from EXECUTING.
 */
export const EVENT_SOURCES: Readonly<Record<Exclude<KillEventType, 'KillReported' | 'CommandRejected' | 'HealthChecked'>, readonly WorkflowStatus[]>> = {
  // The SIEM may answer after the workflow stopped waiting: kept, whatever became of the kill since.
  ContextEnriched: WORKFLOW_STATUSES,
  EnrichmentRequested: ['PENDING'],
  RiskAssessed: ['PENDING'],
  DecisionMade: ['PENDING'],
  // APPROVED: an automatic approval a quarantine overtook, sent to a human (see evolve).
  ApprovalRequested: ['PENDING', 'APPROVED'],
  ApprovalGranted: ['PENDING'],
  ApprovalDenied: ['PENDING'],
  ApprovalExpired: ['PENDING'],
  VetoRequested: ['APPROVED'],
  VetoCleared: ['APPROVED'],
  ResurrectionVetoed: ['APPROVED'],
  ResurrectionStarted: ['APPROVED', 'FAILED'],
  ResurrectionSucceeded: ['EXECUTING'],
  ResurrectionFailed: ['APPROVED', 'EXECUTING'],
  StabilityConfirmed: ['MONITORING'],
  AnomalyDetected: ['MONITORING'],
  AnomalyCleared: ['ANOMALY_DETECTED'],
  // Asked by an operator (RollbackRequested) or by the policy on an anomaly.
  RollbackRequested: ROLLBACK_FROM,
  RollbackStarted: ROLLBACK_FROM,
  RollbackCompleted: ['ROLLING_BACK'],
  RollbackFailed: ['ROLLING_BACK'],
  /*
   * The monitor records every outcome: success (or partial) once a STABLE kill
   * has outlived the re-kill window, re_killed while MONITORING, STABLE or
   * ANOMALY_DETECTED, rollback after ROLLED_BACK, failure after a FAILED
   * rollback. ROLLING_BACK is there for a re-kill the monitor saw before the
   * rollback an operator had just asked for: the rollback's result still
   * follows it (see evolve).
   */
  OutcomeRecorded: ['MONITORING', 'STABLE', 'ANOMALY_DETECTED', 'ROLLING_BACK', 'FAILED', 'ROLLED_BACK'],
  // Smith may defer an approved resurrection; it is asked again (a second VetoRequested) later.
  VetoDeferred: ['APPROVED'],
  // A backoff holds an approved resurrection back without changing the kill's status.
  ResurrectionDeferred: ['APPROVED'],
  // FAILED: the wait before the retry of a refused start is over (see evolve).
  ResurrectionResumed: ['APPROVED', 'FAILED'],
};

/** Where an event takes an existing kill and what it records. */
export function effectOf(state: KillState, event: KillEvent): Effect {
  const stay = (facts: KillFacts = {}): Effect => ({ to: state.status, facts });
  const move = (to: WorkflowStatus, facts: KillFacts = {}): Effect => ({ to, facts });
  switch (event.type) {
    case 'KillReported':
      return move('PENDING');
    case 'CommandRejected':
    case 'HealthChecked':
      return stay();
    case 'ContextEnriched': {
      // The first context counts: the one the decision was (or will be) made with.
      if (state.enrichment !== null) return stay();
      const { siemStatus, riskScore, falsePositiveHistory } = event;
      const indicators = describeIndicators(event.threatIndicators);
      return stay({ enrichment: { siemStatus, riskScore, falsePositiveHistory, indicators, ignored: event.ignoredFields.length, unusableIndicators: event.unusableIndicators } });
    }
    case 'EnrichmentRequested':
      return stay({ enrichmentDeadline: event.deadline });
    case 'RiskAssessed':
      return stay({ risk: event.assessment });
    case 'DecisionMade':
      return decisionEffect(state, event.decision);
    case 'ApprovalRequested': {
      const { queueItemId, decisionId, expiresAt, reason } = event;
      const approval = { queueItemId, decisionId, requestedAt: event.at, expiresAt, reason };
      // The automatic approval is withdrawn: the kill waits for a human, as one decided so would.
      if (state.status === 'APPROVED') return move('PENDING', { approval, approvedBy: null, deferral: null, vetoRequestId: null });
      return stay({ approval });
    }
    case 'ApprovalGranted':
      return move('APPROVED', { approvedBy: event.approver });
    case 'ApprovalDenied':
      return move('DENIED');
    case 'ApprovalExpired':
      return move('EXPIRED');
    case 'VetoRequested':
      return stay({ requestId: event.requestId, vetoRequestId: event.requestId });
    case 'VetoCleared':
    case 'VetoDeferred':
      return stay({ vetoRequestId: null });
    case 'ResurrectionVetoed':
      return move('VETOED', { vetoRequestId: null });
    case 'ResurrectionStarted':
      return move('EXECUTING', { requestId: event.requestId, attempts: state.attempts + 1 });
    case 'ResurrectionSucceeded':
      return move('MONITORING');
    case 'ResurrectionFailed': {
      // An attempt refused before its start was written (the engine failed to describe the container) counts too.
      const attempts = Math.max(state.attempts, event.attempt ?? 0);
      // A refusal with attempts left: the next attempt is due after its wait, timed by the workflow.
      const retry = event.retriable && event.attempt !== null ? { attempt: event.attempt + 1, refusedAt: event.at, notBefore: addMilliseconds(event.at, attemptDelayMs(event.attempt + 1)), resumedAt: null } : null;
      return move('FAILED', { attempts, retry });
    }
    case 'RollbackFailed':
      return move('FAILED');
    case 'StabilityConfirmed':
    case 'AnomalyCleared':
      return move('STABLE');
    case 'AnomalyDetected':
      return move('ANOMALY_DETECTED');
    case 'RollbackRequested': {
      const { actor, reason, commandId } = event;
      return stay({ rollbackRequest: { actor, reason, commandId, requestedAt: event.at } });
    }
    case 'RollbackStarted':
      return move('ROLLING_BACK');
    case 'RollbackCompleted':
      return move('ROLLED_BACK');
    case 'OutcomeRecorded': {
      const outcome = { outcomeId: event.outcomeId, result: event.result, recordedAt: event.at };
      return state.status === 'STABLE' ? move('COMPLETED', { outcome }) : stay({ outcome });
    }
    case 'ResurrectionDeferred':
      return stay({ deferral: { notBefore: event.notBefore, attempt: event.attempt, deferredAt: event.at, resumedAt: null, waitsForKillIds: event.waitsForKillIds } });
    case 'ResurrectionResumed': {
      const retry = state.retry ?? null;
      if (state.status === 'FAILED' && retry !== null) return stay({ retry: { ...retry, resumedAt: event.at } });
      const deferral = state.deferral ?? null;
      return stay(deferral === null ? {} : { deferral: { ...deferral, resumedAt: event.at } });
    }
    default:
      return assertNever(event, 'kill event');
  }
}

// An observe-only approval changes nothing: in observer mode no one acts on it.
function decisionEffect(state: KillState, decision: ResurrectionDecision): Effect {
  if (decision.outcome === 'approve_auto' && !decision.observeOnly) {
    return { to: 'APPROVED', facts: { decision, approvedBy: AUTO_APPROVER } };
  }
  if (decision.outcome === 'deny') return { to: 'DENIED', facts: { decision } };
  return { to: state.status, facts: { decision } };
}

/** How many indicators a decision names. */
const NAMED_INDICATORS = 3;

/** The strongest indicators, as "<type> <value> (<score>, <source>)". */
export function describeIndicators(indicators: readonly ThreatIndicator[]): string[] {
  return distinctIndicators(indicators)
    .sort((a, b) => b.threatScore - a.threatScore)
    .slice(0, NAMED_INDICATORS)
    .map((i) => `${i.indicatorType} ${i.value} (${i.threatScore}, ${i.source})`);
}
