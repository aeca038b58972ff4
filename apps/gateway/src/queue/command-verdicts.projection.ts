import type { KillEvent, KillEventOf } from '@medic/domain';
import { readStream, type LoggedEvent, type StreamProjection } from '@medic/eventlog';
import { CommandVerdict } from './command-verdict.entity';

type Answer = KillEventOf<'ApprovalGranted' | 'ApprovalDenied' | 'ApprovalExpired' | 'RollbackRequested' | 'CommandRejected'>;

/**
 * The verdict on each command sent through the log, so whoever sent it can
 * wait for it by id. The first answer to a command id is its verdict: a
 * command the log delivered twice is rejected the second time, which changes
 * nothing that was already decided.
 */
export const commandVerdictsProjection: StreamProjection<'kill', CommandVerdict> = {
  name: 'gateway.command_verdicts',
  entity: CommandVerdict,
  read: readStream('kill', ['ApprovalGranted', 'ApprovalDenied', 'ApprovalExpired', 'RollbackRequested', 'CommandRejected']),
  // Answers written before commands existed have no id: they key to nothing and are passed over.
  keyOf: (e) => commandIdOf(e.data as Answer) ?? `no-command:${e.id}`,
  evolve: evolveCommandVerdict,
};

export function evolveCommandVerdict(row: CommandVerdict | null, logged: LoggedEvent<KillEvent>): CommandVerdict | null {
  if (row !== null) return row;
  const e = logged.data as Answer;
  const commandId = commandIdOf(e);
  if (commandId === null) return null;
  const rejected = e.type === 'CommandRejected';
  return Object.assign(new CommandVerdict(), {
    commandId,
    killId: e.killId,
    verdict: rejected ? 'rejected' : 'accepted',
    eventType: e.type,
    code: rejected ? e.code : null,
    reason: rejected ? e.reason : null,
    answeredAt: new Date(e.at),
    eventId: logged.id,
  });
}

function commandIdOf(e: Answer): string | null {
  return e.commandId ?? null;
}
