import { DomainError } from '../shared/errors';
import { decide } from './decide';
import type { LoggedKillCommand } from './kill-commands';
import type { CommandRejected, KillEvent } from './kill-events';
import type { KillState } from './kill-state';

/**
 * The workflow's answer to a command from the log: the events it causes, or a
 * CommandRejected that names the command and says why. Either way the sender
 * finds a verdict for its command id on the kill's events.
 */
export function answerCommand(command: LoggedKillCommand, state: KillState | null): KillEvent[] {
  try {
    return decide(command, state);
  } catch (error) {
    if (!(error instanceof DomainError)) throw error;
    return [rejection(command, error.code, error.message)];
  }
}

export function rejection(command: LoggedKillCommand, code: string, reason: string): CommandRejected {
  const { killId, at, commandId } = command;
  return { type: 'CommandRejected', killId, at, commandId, commandType: command.type, actor: actorOf(command), code, reason };
}

/** Who sent a command: the approver, the denier, the operator, or the timer that fired. */
export function actorOf(command: LoggedKillCommand): string {
  switch (command.type) {
    case 'GrantApproval':
      return command.approver;
    case 'DenyApproval':
      return command.denier;
    case 'ExpireApproval':
    case 'ExpireEnrichment':
    case 'ResumeResurrection':
    case 'RequestRollback':
    case 'ReviewApproval':
      return command.actor;
  }
}
