import { createHash } from 'node:crypto';
import { MAX_SEND_BYTES, sizeOf } from './chunks';
import { deadLetter, isRetriable, readDeadLetter } from './dead-letters';

const SOURCE = { topic: 'medic.kill.events', partition: 2, message: { key: Buffer.from('k-1'), value: Buffer.from([0, 1, 2]), headers: { ce_type: 'x\u0000' }, offset: '41' } };
const AT = new Date('2026-12-04T10:00:00.000Z');

describe('dead letters', () => {
  it('keep the original bytes and headers, and say why and where from', () => {
    const letter = deadLetter('decision', SOURCE, { code: 'undecodable', reason: 'bad bytes' }, 3, AT);
    expect(letter.key).toEqual(Buffer.from('k-1'));
    expect(letter.value).toEqual(Buffer.from([0, 1, 2]));
    expect(readDeadLetter(letter.headers)).toEqual({
      step: 'decision',
      code: 'undecodable',
      reason: 'bad bytes',
      sourceTopic: 'medic.kill.events',
      sourcePartition: 2,
      sourceOffset: '41',
      failedAt: AT.toISOString(),
      rolledBack: null,
    });
    expect(letter.headers?.ce_type).toBe('x\u0000');
  });

  it('keep what fits of a record too large to go back to the broker whole, with the size and digest of what was cut', () => {
    const value = Buffer.alloc(1_040_000, 7);
    const headers = { ce_type: 'kept', big: 'h'.repeat(70_000), after: 'kept too', medic_dlq_code: 'forged', medic_dlq_rolled_back: '*' };
    const letter = deadLetter('listener', { ...SOURCE, message: { ...SOURCE.message, key: Buffer.alloc(10_000, 1), value, headers } }, { code: 'message_too_large', reason: 'too big' }, 1, AT);
    expect(sizeOf(letter)).toBeLessThanOrEqual(MAX_SEND_BYTES);
    expect((letter.key as Buffer).length).toBe(4 * 1024);
    expect(value.subarray(0, (letter.value as Buffer).length).equals(letter.value as Buffer)).toBe(true);
    expect(letter.headers).toMatchObject({
      ce_type: 'kept',
      after: 'kept too',
      medic_dlq_code: 'message_too_large',
      medic_dlq_truncated: 'key,headers,value',
      medic_dlq_dropped_headers: 'big',
      medic_dlq_value_bytes: '1040000',
      medic_dlq_value_sha256: createHash('sha256').update(value).digest('hex'),
    });
    // Only Medic says why a record is here.
    expect(letter.headers).not.toHaveProperty('medic_dlq_rolled_back');
    expect(letter.headers).not.toHaveProperty('big');
  });

  it('count what Medic adds in full, however long a reason grows once made printable', () => {
    const letter = deadLetter('listener', { ...SOURCE, message: { ...SOURCE.message, value: Buffer.alloc(1_040_000, 7) } }, { code: 'undecodable', reason: '\u0000'.repeat(4_000) }, 1, AT);
    expect(String(letter.headers!.medic_dlq_reason).length).toBeGreaterThan(8 * 1024);
    expect(sizeOf(letter)).toBeLessThanOrEqual(MAX_SEND_BYTES);
  });

  it('keep a record that fits whole, saying nothing was cut', () => {
    const value = Buffer.alloc(400_000, 7);
    const letter = deadLetter('listener', { ...SOURCE, message: { ...SOURCE.message, value } }, { code: 'message_too_large', reason: 'too big' }, 1, AT);
    expect(letter.value).toBe(value);
    expect(letter.headers).not.toHaveProperty('medic_dlq_truncated');
  });

  it('write a reason that quotes what a record held with its control characters escaped', () => {
    const letter = deadLetter('decision', SOURCE, { code: 'unknown_event_type', reason: 'x\u0000\nforged line is not a type' }, 1, AT);
    expect(letter.headers?.medic_dlq_reason).toBe('x\\u0000\\u000aforged line is not a type');
  });

  it("read what any writer put in the headers as printable text, so it can be stored and shown", () => {
    const info = readDeadLetter({ medic_dlq_step: 'old\u0000step', medic_dlq_code: 'c\u001b[31m', medic_dlq_reason: Buffer.from('a\u0000b') });
    expect(info).toMatchObject({ step: 'old\\u0000step', code: 'c\\u001b[31m', reason: 'a\\u0000b' });
  });

  it('read a record without the headers as no dead letter, or as the known writer\'s when it has a code', () => {
    expect(readDeadLetter({ ce_type: 'x' })).toBeNull();
    expect(readDeadLetter({ medic_dlq_code: 'invalid_field' }, 'listener')).toMatchObject({ step: 'listener', code: 'invalid_field' });
  });

  it('take the store or broker away as retriable, and a statement the server refuses every time as not', () => {
    const pg = (code: string, message = 'x') => Object.assign(new Error(message), { code });
    expect(isRetriable(pg('57P01', 'terminating connection due to administrator command'))).toBe(true);
    expect(isRetriable(pg('08006'))).toBe(true);
    expect(isRetriable(pg('53300', 'too many clients'))).toBe(true);
    expect(isRetriable(pg('40001', 'could not serialize access'))).toBe(true);
    expect(isRetriable(pg('ECONNREFUSED'))).toBe(true);
    expect(isRetriable({ name: 'QueryFailedError', driverError: pg('08003') })).toBe(true);
    expect(isRetriable(Object.assign(new Error('x'), { name: 'KafkaJSConnectionError' }))).toBe(true);

    expect(isRetriable(pg('08P01', 'bind message has 12980 parameter formats but 0 parameters'))).toBe(false);
    expect(isRetriable({ name: 'QueryFailedError', driverError: pg('08P01') })).toBe(false);
    expect(isRetriable(pg('23505', 'duplicate key value'))).toBe(false);
    expect(isRetriable(new Error('a step rejected the record'))).toBe(false);
  });
});
