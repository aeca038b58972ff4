import { DomainError } from '../shared/errors';
import { compareInstants } from '../shared/time';
import { illegalCommand } from './command-guards';
import type { ResumeResurrection } from './kill-commands';
import type { ResurrectionResumed } from './kill-events';
import type { KillState } from './kill-state';

/**
 * A held-back resurrection is resumed once, when its backoff has passed: the
 * backoff timer fires at least once, and a second firing is refused, so the
 * executor starts the module a single time.
 */
export function resumeResurrection(command: ResumeResurrection, state: KillState): ResurrectionResumed[] {
  const deferral = state.deferral ?? null;
  if (state.status !== 'APPROVED' || deferral === null || deferral.resumedAt !== null) {
    const why = state.status !== 'APPROVED' ? `it is ${state.status}` : deferral === null ? 'its resurrection was not held back' : `its resurrection was already resumed at ${deferral.resumedAt}`;
    throw illegalCommand(state, command, why);
  }
  if (compareInstants(command.at, deferral.notBefore) < 0) {
    throw new DomainError('backoff_not_due', `the resurrection of kill ${state.killId} waits until ${deferral.notBefore}`, { killId: state.killId, notBefore: deferral.notBefore });
  }
  const { killId, at, commandId } = command;
  return [{ type: 'ResurrectionResumed', killId, at, commandId, approvedBy: state.approvedBy ?? '', notBefore: deferral.notBefore }];
}
