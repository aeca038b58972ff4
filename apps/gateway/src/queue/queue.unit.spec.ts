import type { KafkaMessage } from 'kafkajs';
import type { KillEvent } from '@medic/domain';
import { ApiError, deadLetter, type LoggedEvent } from '@medic/eventlog';
import { SAMPLE_EVENTS } from '../../../../libs/domain/test/kill-event-samples';
import { loggedKillEvent } from '../../../../libs/eventlog/test/logged-events';
import { DEAD_LETTER_TOPICS, deadLettersProjection as projectionOf } from '../dead-letters/dead-letters.projection';
import { evolveCommandVerdict } from './command-verdicts.projection';
import { commandIdFor, parseIdempotencyKey, requestHash } from './idempotency';
import { parseQueueAction } from './queue.dto';

const statusOf = (fn: () => unknown): number | null => {
  try {
    fn();
    return null;
  } catch (error) {
    return error instanceof ApiError ? error.status : -1;
  }
};

describe('approve and deny bodies', () => {
  it('takes optional notes to approve and a reason to deny', () => {
    expect(parseQueueAction('approve', undefined)).toEqual({ kind: 'approve', notes: null });
    expect(parseQueueAction('approve', {})).toEqual({ kind: 'approve', notes: null });
    expect(parseQueueAction('approve', { notes: 'seen it' })).toEqual({ kind: 'approve', notes: 'seen it' });
    expect(parseQueueAction('deny', { reason: 'hostile' })).toEqual({ kind: 'deny', reason: 'hostile' });
    expect(parseQueueAction('deny', { reason: 'é'.repeat(1000) })).toEqual({ kind: 'deny', reason: 'é'.repeat(1000) });
  });

  it.each([
    ['deny', undefined],
    ['deny', {}],
    ['deny', { reason: '' }],
    ['deny', { reason: ' \n ' }],
    ['deny', { reason: 'x'.repeat(1001) }],
    ['deny', { reason: ['a'] }],
    ['deny', { reason: 'ok\u0000' }],
    ['deny', { reason: 'ok', notes: 'also' }],
    ['approve', { notes: 7 }],
    ['approve', { reason: 'wrong field' }],
    ['approve', 'a string'],
    ['approve', [1, 2]],
    ['approve', []],
    ['approve', null],
    ['approve', 0],
    ['deny', []],
    ['deny', null],
  ] as const)('refuses %s with %j as a 400', (kind, body) => {
    expect(statusOf(() => parseQueueAction(kind, body))).toBe(400);
  });
});

describe('idempotency keys', () => {
  it('accepts visible ASCII up to 255 characters', () => {
    expect(parseIdempotencyKey(undefined)).toBeNull();
    expect(parseIdempotencyKey('a-b_c.1:2')).toBe('a-b_c.1:2');
    for (const bad of ['', 'with space', 'x'.repeat(256), 'ünicode']) expect(statusOf(() => parseIdempotencyKey(bad))).toBe(400);
  });

  it('names one command per principal and key, shaped as a uuid', () => {
    const id = commandIdFor('alice', 'k1');
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(commandIdFor('alice', 'k1')).toBe(id);
    expect(commandIdFor('bob', 'k1')).not.toBe(id);
    expect(commandIdFor('alice', 'k2')).not.toBe(id);
  });

  it('tells requests apart by their content', () => {
    expect(requestHash({ a: 1 })).toBe(requestHash({ a: 1 }));
    expect(requestHash({ a: 1 })).not.toBe(requestHash({ a: 2 }));
  });
});

let offset = 0;
const logged = (data: KillEvent): LoggedEvent<KillEvent> => loggedKillEvent(data, (offset += 1));

describe('command verdicts', () => {
  it('records the first answer to a command and keeps it', () => {
    const granted = evolveCommandVerdict(null, logged(SAMPLE_EVENTS.ApprovalGranted));
    expect(granted).toMatchObject({ commandId: 'cmd-1', killId: 'demo-1', verdict: 'accepted', eventType: 'ApprovalGranted', code: null });
    const again = logged({ ...SAMPLE_EVENTS.CommandRejected, commandId: 'cmd-1' });
    expect(evolveCommandVerdict(granted, again)).toBe(granted);
  });

  it('records a rejection with its code and reason', () => {
    expect(evolveCommandVerdict(null, logged(SAMPLE_EVENTS.CommandRejected))).toMatchObject({
      commandId: 'cmd-3',
      verdict: 'rejected',
      code: 'illegal_transition',
      reason: SAMPLE_EVENTS.CommandRejected.reason,
    });
  });

  it('passes over answers that name no command', () => {
    expect(evolveCommandVerdict(null, logged(SAMPLE_EVENTS.ApprovalExpired))).toBeNull();
  });
});

describe('dead letters projection', () => {
  const deadLettersProjection = projectionOf(DEAD_LETTER_TOPICS[0]!);
  const killReports = projectionOf(DEAD_LETTER_TOPICS[1]!);
  const record = (m: Partial<KafkaMessage>): KafkaMessage => ({ key: null, value: null, timestamp: '1770000000000', attributes: 0, offset: '0', size: 0, headers: {}, ...m }) as unknown as KafkaMessage;

  it('reads what a dead letter says about itself', () => {
    const letter = deadLetter(
      'decision',
      { topic: 'medic.kill.events', partition: 2, message: { key: null, value: Buffer.from('x'), headers: {}, offset: '41' } },
      { code: 'undecodable', reason: 'bad bytes' },
      3,
      new Date('2026-12-01T10:00:00.000Z'),
    );
    const { events, rejected } = deadLettersProjection.read({ topic: 'medic.dlq.internal', partition: 1, messages: [record({ ...letter, offset: '7' } as Partial<KafkaMessage>)] });
    expect(rejected).toEqual([]);
    const row = deadLettersProjection.evolve(null, events[0]!);
    expect(row).toMatchObject({ id: 'internal:1:7', dlq: 'internal', step: 'decision', code: 'undecodable', reason: 'bad bytes', sourceTopic: 'medic.kill.events', sourcePartition: 2, sourceOffset: '41' });
    expect(row?.failedAt.toISOString()).toBe('2026-12-01T10:00:00.000Z');
  });

  it("reads a kill report's dead letter that names no step as the listener's, apart from Medic's own", () => {
    const headers = { medic_dlq_code: 'invalid_field', medic_dlq_reason: 'confidence must be a number', medic_dlq_source_topic: 'smith.events.kill_notifications', medic_dlq_source_partition: '0', medic_dlq_source_offset: '5' };
    const { events } = killReports.read({ topic: 'medic.dlq.kill_notifications', partition: 1, messages: [record({ headers, offset: '7' })] });
    const row = killReports.evolve(null, events[0]!);
    expect(row).toMatchObject({ id: 'kill_reports:1:7', dlq: 'kill_reports', step: 'listener', code: 'invalid_field', reason: 'confidence must be a number', sourceOffset: '5' });
    // Medic's own topic never guesses a step from a code alone.
    expect(deadLettersProjection.evolve(null, deadLettersProjection.read({ topic: 'medic.dlq.internal', partition: 1, messages: [record({ headers, offset: '7' })] }).events[0]!)).toMatchObject({ step: 'unknown', code: 'invalid_field' });
  });

  it('shows a record without dead-letter headers as from an unknown step, at the time it was appended', () => {
    const { events } = deadLettersProjection.read({ topic: 'medic.dlq.internal', partition: 0, messages: [record({ offset: '3' })] });
    const row = deadLettersProjection.evolve(null, events[0]!);
    expect(row).toMatchObject({ step: 'unknown', code: 'unknown', sourcePartition: -1 });
    expect(row?.failedAt.getTime()).toBe(1770000000000);
  });
});
