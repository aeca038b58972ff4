import { DomainError } from '../shared/errors';
import { compareInstants } from '../shared/time';
import { illegalCommand } from './command-guards';
import type { ResumeResurrection } from './kill-commands';
import type { ResurrectionResumed } from './kill-events';
import { awaitsRetry } from './evolve';
import type { KillState } from './kill-state';

/** Who ends a dependent's wait as soon as what it waited for is back or settled (see the executor's cascades). */
export const DEPENDENCIES_ACTOR = 'executor:dependencies';

/**
 * A held-back resurrection is resumed once: a backoff when it has passed (its
 * timer fires at least once); a wait for dependencies as soon as it is told
 * they are back, or when its timer looks again (the executor checks again
 * before it starts, and holds it back once more if it must). A second
 * resumption is refused, so the executor starts the module a single time.
 */
export function resumeResurrection(command: ResumeResurrection, state: KillState): ResurrectionResumed[] {
  if (state.status === 'FAILED') return resumeRetry(command, state);
  const deferral = state.deferral ?? null;
  if (state.status !== 'APPROVED' || deferral === null || deferral.resumedAt !== null) {
    const why = state.status !== 'APPROVED' ? `it is ${state.status}` : deferral === null ? 'its resurrection was not held back' : `its resurrection was already resumed at ${deferral.resumedAt}`;
    throw illegalCommand(state, command, why);
  }
  const waitsForDependencies = (deferral.waitsForKillIds ?? []).length > 0;
  if (!waitsForDependencies) assertDue(command, state, deferral.notBefore, `the resurrection of kill ${state.killId}`);
  const { killId, at, commandId, actor } = command;
  return [{ type: 'ResurrectionResumed', killId, at, commandId, approvedBy: state.approvedBy ?? '', notBefore: deferral.notBefore, resumedBy: actor, attempt: 0 }];
}

/**
 * The retry of a start the engine refused, once its wait is over: resumed
 * once, as a backoff is; the executor then writes that attempt's intent.
 */
function resumeRetry(command: ResumeResurrection, state: KillState): ResurrectionResumed[] {
  const retry = state.retry ?? null;
  if (!awaitsRetry(state) || retry === null) {
    const why = state.outcome !== null ? 'its outcome is recorded' : retry === null ? 'no retry of a refused start is waiting' : `its retry (attempt ${retry.attempt}) was already resumed at ${retry.resumedAt}`;
    throw illegalCommand(state, command, why);
  }
  assertDue(command, state, retry.notBefore, `the retry of kill ${state.killId} (attempt ${retry.attempt})`);
  const { killId, at, commandId, actor } = command;
  return [{ type: 'ResurrectionResumed', killId, at, commandId, approvedBy: state.approvedBy ?? '', notBefore: retry.notBefore, resumedBy: actor, attempt: retry.attempt }];
}

/** A wait ends when it is due: a resumption before `notBefore` is refused (`backoff_not_due`, naming `what` waits). */
function assertDue(command: ResumeResurrection, state: KillState, notBefore: string, what: string): void {
  if (compareInstants(command.at, notBefore) < 0) throw new DomainError('backoff_not_due', `${what} waits until ${notBefore}`, { killId: state.killId, notBefore });
}
