import { DomainError } from '../shared/errors';
import { illegalCommand } from './command-guards';
import type { RequestRollback } from './kill-commands';
import type { RollbackRequested } from './kill-events';
import type { KillState } from './kill-state';
import type { WorkflowStatus } from './workflow-status';

/** Where a resurrection can be undone: while it is watched, once it is stable, or after an anomaly. */
export const ROLLBACK_FROM: readonly WorkflowStatus[] = ['MONITORING', 'STABLE', 'ANOMALY_DETECTED'];

/**
 * An operator's request to undo a resurrection: accepted once, while the
 * module is up because of it and no outcome is recorded; the executor then
 * stops the module.
 */
export function requestRollback(command: RequestRollback, state: KillState): RollbackRequested[] {
  if (state.outcome !== null) throw illegalCommand(state, command, `its outcome (${state.outcome.result}) is already recorded`);
  if (!ROLLBACK_FROM.includes(state.status) || state.requestId === null) {
    throw illegalCommand(state, command, `it is ${state.status}; only a resurrection being monitored, stable or anomalous can be rolled back`);
  }
  const pending = state.rollbackRequest ?? null;
  if (pending !== null) {
    throw new DomainError('rollback_already_requested', `a rollback of kill ${state.killId} was already requested by ${pending.actor} at ${pending.requestedAt}`, {
      killId: state.killId,
      actor: pending.actor,
    });
  }
  const { killId, at, actor, reason, commandId } = command;
  return [{ type: 'RollbackRequested', killId, at, requestId: state.requestId, actor, reason, commandId }];
}
