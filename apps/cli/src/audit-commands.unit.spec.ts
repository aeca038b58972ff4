import type { KillEvent, LoggedKillCommand } from '@medic/domain';
import type { LoggedEvent } from '@medic/eventlog';
import { formatUnansweredCommands, unansweredCommands } from './audit-commands';

const logged = <T>(data: T, offset: number, topic = 'medic.kill.commands'): LoggedEvent<T> =>
  ({ id: `e${offset}`, type: (data as { type: string }).type, source: 'test', subject: 'k1', time: '2026-12-04T10:00:00.000Z', topic, partition: 0, offset: String(offset), data, causationId: null, correlationId: null, trace: null }) as unknown as LoggedEvent<T>;

const at = '2026-12-04T10:00:00.000Z';
const grant: LoggedKillCommand = { type: 'GrantApproval', commandId: 'c-grant', killId: 'k1', at, approver: 'alice', notes: null };
const deny: LoggedKillCommand = { type: 'DenyApproval', commandId: 'c-deny', killId: 'k1', at, denier: 'bob', reason: 'still\u001b[2J suspicious' };
const siemDeadline: LoggedKillCommand = { type: 'ExpireEnrichment', commandId: 'c-siem', killId: 'k1', at, actor: 'timer' };

describe('commands about a kill the workflow has not answered', () => {
  it('are those no event names: answers carry the command id (a SIEM deadline as the context query id)', () => {
    const events = [
      logged<KillEvent>({ type: 'CommandRejected', killId: 'k1', at, commandId: 'c-deny', commandType: 'DenyApproval', actor: 'bob', code: 'illegal_command', reason: 'no' }, 3, 'medic.kill.events'),
      logged({ type: 'ContextEnriched', killId: 'k1', at, queryId: 'c-siem' } as unknown as KillEvent, 4, 'medic.kill.events'),
    ];
    const open = unansweredCommands([logged(grant, 1), logged(deny, 2), logged(siemDeadline, 5)], events);
    expect(open.map((c) => c.data.commandId)).toEqual(['c-grant']);
  });

  it('are listed one line each, with who sent them, the reason given and where they are kept, control characters escaped', () => {
    const text = formatUnansweredCommands('k1', [logged(grant, 1), logged(deny, 2)]);
    const lines = text.split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(/^Commands about kill k1 the kill workflow has not answered \(2; /);
    expect(lines[1]).toBe(`${at}  GrantApproval from alice  [command c-grant, medic.kill.commands/0@1]`);
    expect(lines[2]).toMatch(/^\S+ {2}DenyApproval from bob: still\\u001b\[2J suspicious {2}\[command c-deny, /);
  });
});
