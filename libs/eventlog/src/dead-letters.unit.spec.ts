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
