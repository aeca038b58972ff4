import { assertNever, DomainError, err, ok, type Result } from '../shared/errors';
import { addMilliseconds, compareInstants, secondsBetween } from '../shared/time';
import type { ResurrectionVetoed, VetoCleared, VetoRequested } from '../workflow/kill-events';
import type { VetoAnswer, VetoAsk, VetoEvent, VetoExchange, VetoSettings } from './veto.types';

/*
 * The veto exchange of spec 4.4, as pure rules: ask Smith before a
 * resurrection, take its answer (approve, veto, defer) on the notice it names,
 * ask again after a defer, and settle by the configured default when Smith
 * stays silent past the deadline or defers more often than allowed. Ids and
 * time come in as arguments.
 */

/** A notice to send: its ids, where it goes, and who approved what it asks about. */
export interface AskSmith {
  readonly killId: string;
  readonly at: string;
  readonly requestId: string;
  readonly correlationId: string;
  readonly noticeTopic: string;
  readonly replyTo: string;
  readonly approvedBy: string;
}

/** Why an answer from Smith settles nothing (it is dead-lettered with this). */
export interface VetoRefusal {
  readonly code: 'already_answered' | 'request_mismatch' | 'late_answer';
  readonly reason: string;
}

/** The notice to send: the first about a kill, or the next after a defer. */
export function askSmith(ask: AskSmith, previous: VetoExchange | null, settings: VetoSettings): VetoRequested {
  return {
    type: 'VetoRequested',
    killId: ask.killId,
    at: ask.at,
    requestId: ask.requestId,
    correlationId: ask.correlationId,
    timeoutSeconds: settings.timeoutSeconds,
    deadline: addMilliseconds(ask.at, settings.timeoutSeconds * 1000),
    attempt: (previous?.attempt ?? 0) + 1,
    noticeTopic: ask.noticeTopic,
    replyTo: ask.replyTo,
    approvedBy: ask.approvedBy,
  };
}

/**
 * Smith's answer to the notice `ask` names. Only the kill's latest notice,
 * still unanswered, takes an answer, and only one that reached the log by
 * the notice's deadline (`answeredAt`; `at` is when it is taken): what a late
 * answer would settle, the default settles, whenever Medic reads it. Anything
 * else is refused with the reason.
 */
export function answerSmith(exchange: VetoExchange, ask: VetoAsk, answer: VetoAnswer, at: string, settings: VetoSettings, answeredAt: string = at): Result<VetoEvent[], VetoRefusal> {
  if (answer.requestId !== null && answer.requestId !== ask.requestId) {
    return err({ code: 'request_mismatch', reason: `request_id ${answer.requestId} is not that of the notice with correlation_id ${ask.correlationId} (${ask.requestId})` });
  }
  if (answer.killId !== null && answer.killId !== exchange.killId) {
    return err({ code: 'request_mismatch', reason: `kill_id ${answer.killId} is not that of notice ${ask.requestId} (kill ${exchange.killId})` });
  }
  if (ask.requestId !== exchange.requestId) {
    return err({ code: 'already_answered', reason: `notice ${ask.requestId} about kill ${exchange.killId} was deferred and asked again as ${exchange.requestId}` });
  }
  if (exchange.status !== 'asked') {
    return err({ code: 'already_answered', reason: `notice ${ask.requestId} about kill ${exchange.killId} is already settled (${exchange.status}${exchange.basis ? `, ${exchange.basis}` : ''})` });
  }
  if (exchange.dueAt !== null && compareInstants(answeredAt, exchange.dueAt) > 0) {
    const reason = `the answer to notice ${ask.requestId} about kill ${exchange.killId} came at ${answeredAt}, after its deadline ${exchange.dueAt}; the default (${settings.defaultOnTimeout}) settles it`;
    return err({ code: 'late_answer', reason });
  }
  const { killId, requestId, approvedBy } = exchange;
  switch (answer.decision) {
    case 'approve':
      return ok([{ type: 'VetoCleared', killId, at, requestId, basis: 'approve', reason: answer.reason || 'Smith approved the resurrection', approvedBy }]);
    case 'veto':
      return ok([{ type: 'ResurrectionVetoed', killId, at, requestId, basis: 'veto', reason: answer.reason || 'Smith vetoed the resurrection', newEvidence: answer.newEvidence }]);
    case 'defer': {
      const defers = exchange.defers + 1;
      if (defers > settings.maxDefers) {
        const why = `Smith deferred notice ${requestId} (${answer.reason || 'no reason given'}), its defer number ${defers} where at most ${settings.maxDefers} are honoured`;
        return ok([settle(exchange, 'defer', at, settings, why, answer.newEvidence)]);
      }
      const askAgainAt = addMilliseconds(at, settings.deferDelaySeconds * 1000);
      return ok([{ type: 'VetoDeferred', killId, at, requestId, reason: answer.reason || 'Smith asked to wait', newEvidence: answer.newEvidence, askAgainAt, defers }]);
    }
    default:
      return assertNever(answer.decision, 'veto decision');
  }
}

/**
 * What the exchange's due time brings, if it has come: a notice unanswered at
 * its deadline is settled by the default; a deferred one is sent again, as
 * `next`.
 */
export function dueVeto(exchange: VetoExchange, at: string, settings: VetoSettings, next: VetoAsk): VetoEvent[] {
  if (exchange.dueAt === null || compareInstants(exchange.dueAt, at) > 0) return [];
  switch (exchange.status) {
    case 'asked':
      return [settle(exchange, 'timeout_default', at, settings, `Smith did not answer notice ${exchange.requestId} within ${exchange.timeoutSeconds} s`, [])];
    case 'deferred':
      return [askAgain(exchange, at, settings, next)];
    case 'cleared':
    case 'vetoed':
      return [];
    default:
      return assertNever(exchange.status, 'veto exchange status');
  }
}

/** Settles an exchange Smith did not settle, by the configured default. */
function settle(exchange: VetoExchange, basis: 'defer' | 'timeout_default', at: string, settings: VetoSettings, why: string, newEvidence: readonly string[]): VetoCleared | ResurrectionVetoed {
  const { killId, requestId, approvedBy } = exchange;
  const reason = `${why}; the configured default is to ${settings.defaultOnTimeout}`;
  return settings.defaultOnTimeout === 'proceed'
    ? { type: 'VetoCleared', killId, at, requestId, basis, reason, approvedBy }
    : { type: 'ResurrectionVetoed', killId, at, requestId, basis, reason, newEvidence };
}

/**
 * A notice about to go to Smith after half its time has gone (its negotiator
 * was down, or slow to read its VetoRequested back): it would give Smith
 * less time than `timeout_seconds` says, or none. Smith is asked again
 * instead, with a deadline counted from now, as `next`; once per exchange,
 * so a negotiator that stays that slow still asks, and the deadline still
 * settles. Null when the notice should go as it is.
 */
export function staleNotice(exchange: VetoExchange, at: string, settings: VetoSettings, next: VetoAsk): VetoRequested | null {
  if (exchange.status !== 'asked' || exchange.dueAt === null) return null;
  if (secondsBetween(at, exchange.dueAt) * 2 >= exchange.timeoutSeconds) return null;
  // Every notice but the first follows a defer, or this rule once.
  if (exchange.attempt - 1 - exchange.defers >= 1) return null;
  return askAgain(exchange, at, settings, next);
}

/** The exchange's next notice, as `next`, to the same topics for the same approver. */
function askAgain(exchange: VetoExchange, at: string, settings: VetoSettings, next: VetoAsk): VetoRequested {
  const { killId, noticeTopic, replyTo, approvedBy } = exchange;
  return askSmith({ killId, at, ...next, noticeTopic, replyTo, approvedBy }, exchange, settings);
}

/** Folds one veto event into the kill's exchange. */
export function evolveVeto(state: VetoExchange | null, event: VetoEvent): VetoExchange {
  if (event.type === 'VetoRequested') {
    const { killId, requestId, correlationId, attempt, timeoutSeconds, deadline, approvedBy, noticeTopic, replyTo } = event;
    return { killId, status: 'asked', requestId, correlationId, attempt, timeoutSeconds, defers: state?.defers ?? 0, dueAt: deadline, basis: null, approvedBy, noticeTopic, replyTo };
  }
  if (state === null) throw new DomainError('illegal_transition', `${event.type} for kill ${event.killId}, about which Smith was never asked`, { event: event.type });
  switch (event.type) {
    case 'VetoDeferred':
      return { ...state, status: 'deferred', defers: event.defers, dueAt: event.askAgainAt };
    case 'VetoCleared':
      return { ...state, status: 'cleared', dueAt: null, basis: event.basis };
    case 'ResurrectionVetoed':
      return { ...state, status: 'vetoed', dueAt: null, basis: event.basis };
    default:
      return assertNever(event, 'veto event');
  }
}
