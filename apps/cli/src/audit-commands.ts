import { actorOf, printable, type KillEvent, type LoggedKillCommand } from '@medic/domain';
import type { LoggedEvent } from '@medic/eventlog';

/** The command ids a kill's events answer: a grant, denial, expiry, resumption, rollback or refusal names its command; a SIEM deadline's context carries it as its query id. */
function answeredCommandIds(events: readonly LoggedEvent<KillEvent>[]): Set<string> {
  const ids = new Set<string>();
  for (const { data: e } of events) {
    if ('commandId' in e && typeof e.commandId === 'string') ids.add(e.commandId);
    if (e.type === 'ContextEnriched') ids.add(e.queryId);
  }
  return ids;
}

/** Commands about a kill (operators' approvals, denials and rollbacks, timers' firings) that no event of the kill answers: sent, not acted on (yet). */
export function unansweredCommands(commands: readonly LoggedEvent<LoggedKillCommand>[], events: readonly LoggedEvent<KillEvent>[]): LoggedEvent<LoggedKillCommand>[] {
  const answered = answeredCommandIds(events);
  return commands.filter((c) => !answered.has(c.data.commandId));
}

/** One line per command the kill workflow has not answered, for the audit. */
export function formatUnansweredCommands(killId: string, commands: readonly LoggedEvent<LoggedKillCommand>[]): string {
  const lines = [`Commands about kill ${killId} the kill workflow has not answered (${commands.length}; not acted on, or not yet — is the decision service running?):`];
  for (const c of commands) {
    const why = c.data.type === 'DenyApproval' || c.data.type === 'RequestRollback' ? `: ${c.data.reason}` : '';
    lines.push(`${c.data.at}  ${c.data.type} from ${actorOf(c.data)}${why}  [command ${c.data.commandId}, ${c.topic}/${c.partition}@${c.offset}]`);
  }
  return lines.map(printable).join('\n');
}
