import { decodePending, encodePending, type PendingOutput } from './step-positions';

describe('pending outputs', () => {
  it('come back as they were stored: topics, keys, values, repeated and binary headers, absent fields', () => {
    const outputs: PendingOutput[] = [
      { topic: 'medic.kill.events', message: { key: 'k-1', value: Buffer.from([0, 1, 255]), headers: { ce_type: 'a', multi: ['x', Buffer.from('y')] } } },
      { topic: 'medic.dlq.internal', message: { key: null, value: null } },
      { topic: 'ünïcode', message: { key: Buffer.from('é'), value: Buffer.alloc(0), headers: { empty: '' } } },
    ];
    const back = decodePending(encodePending(outputs));
    expect(back.map((o) => o.topic)).toEqual(['medic.kill.events', 'medic.dlq.internal', 'ünïcode']);
    expect(back[0]!.message.key).toEqual(Buffer.from('k-1'));
    expect(back[0]!.message.value).toEqual(Buffer.from([0, 1, 255]));
    expect(back[0]!.message.headers).toEqual({ ce_type: Buffer.from('a'), multi: [Buffer.from('x'), Buffer.from('y')] });
    expect(back[1]!.message).toEqual({ key: null, value: null, headers: {} });
    expect(back[2]!.message).toEqual({ key: Buffer.from('é'), value: Buffer.alloc(0), headers: { empty: Buffer.alloc(0) } });
  });

  it('encode nothing as an empty list', () => {
    expect(decodePending(encodePending([]))).toEqual([]);
  });
});
