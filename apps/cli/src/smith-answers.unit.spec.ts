import { preResurrectionNotice, readVetoAnswer, type VetoRequested } from '@medic/domain';
import { CliError } from './cli-config';
import { parseSmithAnswer, readNotice, vetoAnswer } from './smith-answers';

const exitOf = (args: string[]): number | null => {
  try {
    parseSmithAnswer(args);
    return null;
  } catch (error) {
    return error instanceof CliError ? error.exitCode : -1;
  }
};

const ask: VetoRequested = {
  type: 'VetoRequested',
  killId: 'k-1',
  at: '2026-02-11T12:00:00.000Z',
  requestId: 'req-1',
  correlationId: 'cor-1',
  timeoutSeconds: 30,
  deadline: '2026-02-11T12:00:30.000Z',
  attempt: 1,
  noticeTopic: 'smith.veto.requests',
  replyTo: 'smith.answers',
  approvedBy: 'alice',
};

describe('medic smith answer', () => {
  it('reads the policy and its options', () => {
    expect(parseSmithAnswer(['--policy', 'veto', '--reason', 'still beaconing', '--evidence', 'a,b', '--once'])).toEqual({
      policy: 'veto',
      reason: 'still beaconing',
      evidence: ['a', 'b'],
      count: 1,
    });
    expect(parseSmithAnswer(['--policy', 'silent'])).toEqual({ policy: 'silent', reason: 'smith-simulator: silent', evidence: [], count: null });
    expect(parseSmithAnswer(['--policy=defer', '--count', '3'])).toMatchObject({ policy: 'defer', count: 3 });
  });

  it.each([
    [[]],
    [['--policy']],
    [['--policy', 'maybe']],
    [['--policy', 'veto', '--count', '0']],
    [['--policy', 'veto', '--count', 'many']],
    [['--policy', 'veto', '--count', '2', '--once']],
    [['--policy', 'veto', '--colour', 'red']],
    [['--policy', 'veto', 'extra']],
  ])('refuses %j with a usage error', (args) => {
    expect(exitOf(args)).toBe(2);
  });

  it.each([
    [['--policy', 'veto', '--count', '-3'], /^--count must be a whole number from 1 to 999999, not -3\nusage: /],
    [['--policy', 'veto', '--count=-3'], /^--count must be a whole number from 1 to 999999, not -3\nusage: /],
    [['--policy', 'veto', '--count', '9999999'], /^--count must be a whole number from 1 to 999999, not 9999999\nusage: /],
    [['--policy'], /^--policy needs a value \(one of approve, veto, defer, silent\)\n/],
    [['--policy', 'veto', '--colour', 'red'], /^unknown option --colour; known: --policy, --reason, --evidence, --count, --once\n/],
  ])('refuses %j saying what is wrong', (args, message) => {
    expect(() => parseSmithAnswer(args)).toThrow(message);
    expect(exitOf(args)).toBe(2);
  });

  it("answers Medic's notice with a RESURRECTION_VETO Medic reads, on the notice's reply topic", () => {
    const notice = readNotice(Buffer.from(JSON.stringify(preResurrectionNotice(ask, 'nginx-test', { level: 'low', score: 0.28, factors: {} }))));
    expect(notice).toEqual({ requestId: 'req-1', correlationId: 'cor-1', killId: 'k-1', targetModule: 'nginx-test', replyTo: 'smith.answers', timeoutSeconds: 30, risk: 'low 0.28' });
    if (typeof notice === 'string') throw new Error(notice);
    const wire = vetoAnswer(notice, 'veto', { reason: 'still beaconing', evidence: ['dns'] }, new Date('2026-02-11T12:00:05Z'));
    expect(readVetoAnswer(Buffer.from(wire), 65_536)).toEqual({
      kind: 'answer',
      answer: { requestId: 'req-1', correlationId: 'cor-1', killId: null, decision: 'veto', reason: 'still beaconing', newEvidence: ['dns'], timestamp: '2026-02-11T12:00:05.000Z' },
    });
  });

  it('says why a message on the request topic is no notice', () => {
    expect(readNotice(Buffer.from('nope'))).toBe('not JSON');
    expect(readNotice(Buffer.from('{"message_type":"KILL_REPORT"}'))).toBe('message_type "KILL_REPORT" is not PRE_RESURRECTION_NOTICE');
    expect(readNotice(Buffer.from('{"message_type":"PRE_RESURRECTION_NOTICE","kill_id":"k"}'))).toBe('request_id or kill_id is missing');
  });
});
