import { DomainError } from '../shared/errors';
import { EVENT_SOURCES, effectOf } from './event-effects';
import type { CommandRejected, HealthChecked, KillEvent, KillReported, ResurrectionVetoed, VetoCleared, VetoDeferred } from './kill-events';
import type { KillState } from './kill-state';
import { canTransition } from './workflow-status';
import { mayGoToReview } from './approval-decisions';

/**
 * Folds one event into the state of its kill. An event that cannot happen in
 * the current state is rejected with `illegal_transition`, never applied:
 * a projection must not paper over a log that breaks the workflow.
 */
export function evolve(state: KillState | null, event: KillEvent): KillState {
  if (state === null) return reported(event);
  // A refused command leaves its kill as it was; so does what a health check saw (the monitor's watch folds it).
  if (event.type === 'CommandRejected' || event.type === 'HealthChecked') return state;
  if (event.killId !== state.killId) {
    throw new DomainError('kill_mismatch', `event for kill ${event.killId} applied to kill ${state.killId}`, { event: event.type });
  }
  // One outcome recorded again (its recorder tried again after a failure, with the outcome's id) changes nothing.
  if (event.type === 'OutcomeRecorded' && state.outcome?.outcomeId === event.outcomeId && state.outcome.result === event.result) return state;
  assertAccepted(state, event);
  const { to, facts } = effectOf(state, event);
  if (to !== state.status && !canTransition(state.status, to)) {
    throw illegal(state, event, `${state.status} cannot move to ${to}`);
  }
  const history = to === state.status ? state.history : [...state.history, { status: to, at: event.at, event: event.type }];
  return { ...state, ...facts, status: to, history, lastEventAt: event.at };
}

function reported(event: KillEvent): KillState {
  if (event.type !== 'KillReported') {
    throw new DomainError('illegal_transition', `${event.type} for kill ${event.killId}, which was never reported`, { event: event.type });
  }
  return fromReport(event);
}

function fromReport(event: KillReported): KillState {
  return {
    killId: event.killId,
    status: 'PENDING',
    targetModule: event.report.targetModule,
    report: event.report,
    correlationId: event.correlationId,
    replyTo: event.replyTo,
    enrichment: null,
    enrichmentDeadline: event.enrichmentDeadline ?? null,
    risk: null,
    decision: null,
    approval: null,
    approvedBy: null,
    requestId: null,
    vetoRequestId: null,
    attempts: 0,
    history: [{ status: 'PENDING', at: event.at, event: event.type }],
    lastEventAt: event.at,
    outcome: null,
    rollbackRequest: null,
  };
}

function assertAccepted(state: KillState, event: Exclude<KillEvent, CommandRejected | HealthChecked>): void {
  if (event.type === 'KillReported') throw illegal(state, event, 'the kill was already reported');
  if (state.outcome !== null && !isRollbackResult(state, event)) throw illegal(state, event, 'its outcome is already recorded');
  if (!EVENT_SOURCES[event.type].includes(state.status) && !isRetryNotMade(state, event)) throw illegal(state, event, `it cannot happen in ${state.status}`);
  if (event.type === 'ResurrectionResumed' && state.status === 'FAILED' && !awaitsRetry(state)) throw illegal(state, event, 'no retry of a refused start is waiting');
  if (event.type === 'ApprovalRequested' && state.status === 'APPROVED' && !mayGoToReview(state)) throw illegal(state, event, 'only an automatic approval nothing was started for goes to a human');
  // Smith's verdict on a notice counts once: a repeat, or one about another notice, changes nothing.
  if (isVetoVerdict(event) && event.requestId !== (state.vetoRequestId ?? null)) {
    throw illegal(state, event, `no pre-resurrection notice ${event.requestId} is waiting for Smith's answer`);
  }
}

/**
 * A start the engine refused leaves the kill FAILED until its retry starts; a
 * retry the executor does not make after all (it came to the refusal too
 * late) closes it with a failure of no attempt, and one the engine refused
 * before its start was written (it failed to describe the container) is a
 * failure of the next attempt.
 */
function isRetryNotMade(state: KillState, event: KillEvent): boolean {
  if (state.status !== 'FAILED' || state.attempts === 0 || event.type !== 'ResurrectionFailed') return false;
  return event.attempt === null || event.attempt === state.attempts + 1;
}

/** A FAILED kill whose refused start is to be tried again, its wait not yet declared over. */
export function awaitsRetry(state: KillState): boolean {
  const retry = state.retry ?? null;
  return state.status === 'FAILED' && state.outcome === null && retry !== null && retry.resumedAt === null;
}

function isVetoVerdict(event: KillEvent): event is VetoCleared | VetoDeferred | ResurrectionVetoed {
  return event.type === 'VetoCleared' || event.type === 'VetoDeferred' || event.type === 'ResurrectionVetoed';
}

/**
 * A rollback under way when the outcome was recorded (a re-kill seen first)
 * still ends: what the engine did is recorded, the outcome stays.
 */
function isRollbackResult(state: KillState, event: KillEvent): boolean {
  return state.status === 'ROLLING_BACK' && (event.type === 'RollbackCompleted' || event.type === 'RollbackFailed');
}

function illegal(state: KillState, event: KillEvent, why: string): DomainError {
  return new DomainError('illegal_transition', `${event.type} rejected for kill ${state.killId}: ${why}`, {
    killId: state.killId,
    status: state.status,
    event: event.type,
  });
}
