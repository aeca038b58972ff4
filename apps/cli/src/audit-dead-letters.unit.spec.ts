import { formatKillDeadLetters, isAboutKill, killDeadLetter } from './audit-dead-letters';

const report = (killId: unknown) => Buffer.from(JSON.stringify({ version: '1.0', message_type: 'KILL_REPORT', payload: { kill_id: killId, target_module: '../etc/passwd' } }));
const headers = (pairs: Record<string, string>) => Object.fromEntries(Object.entries(pairs).map(([k, v]) => [k, Buffer.from(v)]));

describe('dead letters about one kill, for medic replay audit', () => {
  it("finds a refused report by its payload's kill_id or its key, and Medic's own records by their subject", () => {
    expect(isAboutKill({ headers: {}, key: null, value: report('k-1') }, 'k-1')).toBe(true);
    expect(isAboutKill({ headers: {}, key: Buffer.from('k-1'), value: Buffer.from('{not json') }, 'k-1')).toBe(true);
    expect(isAboutKill({ headers: headers({ ce_subject: 'k-1' }), key: null, value: Buffer.from([0x0a, 0x01]) }, 'k-1')).toBe(true);
    // Another kill, a kill_id that is no string, a value that is no report: not about it.
    expect(isAboutKill({ headers: {}, key: Buffer.from('k-2'), value: report('k-2') }, 'k-1')).toBe(false);
    expect(isAboutKill({ headers: {}, key: null, value: report(['k-1']) }, 'k-1')).toBe(false);
    expect(isAboutKill({ headers: {}, key: null, value: Buffer.from('null') }, 'k-1')).toBe(false);
    expect(isAboutKill({ headers: {}, key: null, value: null }, 'k-1')).toBe(false);
  });

  it('says when, which step, why, where the record came from and where it is kept, escaping what Smith wrote', () => {
    const refused = killDeadLetter(
      'medic.dlq.kill_notifications',
      2,
      {
        offset: '5',
        timestamp: String(Date.parse('2026-12-04T07:55:28.000Z')),
        headers: headers({
          medic_dlq_step: 'listener',
          medic_dlq_code: 'invalid_field',
          medic_dlq_reason: 'payload.target_module "../etc\u001b[2J" contains a path separator',
          medic_dlq_source_topic: 'smith.events.kill_notifications',
          medic_dlq_source_partition: '0',
          medic_dlq_source_offset: '2',
          medic_dlq_failed_at: '2026-12-04T07:55:27.778Z',
        }),
      },
      'listener',
    );
    const text = formatKillDeadLetters('k-1', [refused], false);
    expect(text.split('\n')).toEqual([
      'No event of kill k-1 is on the log: Medic did not take it in. Dead-lettered records about it (1; not acted on):',
      '2026-12-04T07:55:27.778Z  listener: invalid_field: payload.target_module "../etc\\u001b[2J" contains a path separator  [from smith.events.kill_notifications/0@2, kept at medic.dlq.kill_notifications/2@5]',
    ]);
    // A record without dead-letter headers is still shown, as written by the topic's step, at the time it was appended.
    const bare = killDeadLetter('medic.dlq.internal', 0, { offset: '9', timestamp: String(Date.parse('2026-12-04T08:00:00.000Z')), headers: {} }, 'unknown');
    expect(formatKillDeadLetters('k-1', [bare], true)).toContain('2026-12-04T08:00:00.000Z  unknown: unknown: a record without dead-letter headers  [kept at medic.dlq.internal/0@9]');
  });
});
