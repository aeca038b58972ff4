import { DomainError } from '../shared/errors';
import type { KillCommand } from './kill-commands';
import type { ApprovalRequest, KillState } from './kill-state';

export function illegalCommand(state: KillState, command: KillCommand, why: string): DomainError {
  return new DomainError('illegal_transition', `${command.type} rejected for kill ${state.killId}: ${why}`, {
    killId: state.killId,
    status: state.status,
    command: command.type,
  });
}

/** The state of the kill a command names; a command for an unknown kill is refused. */
export function existingKill(state: KillState | null, command: Exclude<KillCommand, { type: 'ReportKill' }>): KillState {
  if (state === null) {
    const message = `${command.type} rejected: kill ${command.killId} was never reported`;
    throw new DomainError('illegal_transition', message, { killId: command.killId, command: command.type });
  }
  if (state.killId !== command.killId) {
    throw new DomainError('kill_mismatch', `${command.type} for kill ${command.killId} given the state of kill ${state.killId}`);
  }
  return state;
}

/** The open approval request of a kill that is still waiting for a human. */
export function openApproval(state: KillState, command: KillCommand): ApprovalRequest {
  if (state.status !== 'PENDING' || state.approval === null) {
    throw illegalCommand(state, command, state.status === 'PENDING' ? 'no approval was requested' : `it is ${state.status}`);
  }
  return state.approval;
}
