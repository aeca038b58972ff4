import { restateAborted, type AbortedTransaction, type FetchedRecord } from './aborted-transactions';

// kafkajs's own batch, which filters a fetched partition's records: what a consumer is handed.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const Batch = require('kafkajs/src/consumer/batch') as new (topic: string, fetchedOffset: string, partitionData: unknown) => { messages: { offset: string }[] };

const ABORT = Buffer.from([0, 0, 0, 0]);
const COMMIT = Buffer.from([0, 0, 0, 1]);
const data = (offset: number, producerId: string, inTransaction = true): FetchedRecord & { key: Buffer } => ({
  offset: String(offset),
  key: Buffer.from(`k${offset}`),
  batchContext: { producerId, inTransaction },
});
const marker = (offset: number, producerId: string, key: Buffer): FetchedRecord & { key: Buffer } => ({
  offset: String(offset),
  key,
  isControlRecord: true,
  batchContext: { producerId, inTransaction: true },
});
const aborted = (producerId: string, firstOffset: number): AbortedTransaction => ({ producerId, firstOffset: String(firstOffset) });

/** The offsets kafkajs hands a consumer from this fetch, with the broker's list as it is or restated. */
function delivered(records: FetchedRecord[], list: AbortedTransaction[], fetchOffset: number, restate: boolean): string[] {
  const abortedTransactions = restate ? restateAborted(records, list, String(fetchOffset)) : list;
  return new Batch('t', String(fetchOffset), { partition: 0, highWatermark: '1000', messages: records, abortedTransactions }).messages.map((m) => m.offset);
}

describe('aborted transactions restated for kafkajs', () => {
  // What the broker wrote when two producers of one partition both aborted, the later-begun
  // one first: its list comes ordered by where each transaction ended.
  const interleaved = [data(583, '34'), data(584, '63'), marker(585, '63', ABORT), marker(586, '34', ABORT), data(587, '40'), marker(588, '40', COMMIT)];
  const brokerOrder = [aborted('63', 584), aborted('34', 583)];

  it('is needed: kafkajs hands out a rolled-back record when the list is not in first-offset order', () => {
    expect(delivered(interleaved, brokerOrder, 583, false)).toEqual(['583', '587']);
  });

  it('drops exactly what aborted transactions wrote', () => {
    expect(delivered(interleaved, brokerOrder, 583, true)).toEqual(['587']);
    expect(restateAborted(interleaved, brokerOrder, '583')).toEqual([aborted('34', 583), aborted('63', 584)]);
  });

  it('drops them when the fetch begins inside several aborted transactions', () => {
    // Records before the fetch offset come back too (whole record batches); kafkajs skips them.
    const records = [data(583, 'A'), data(584, 'B'), data(585, 'B'), data(586, 'A'), marker(587, 'B', ABORT), marker(588, 'A', ABORT), data(589, 'C'), marker(590, 'C', COMMIT)];
    const list = [aborted('A', 583), aborted('B', 584)];
    expect(delivered(records, list, 585, false)).toContain('585');
    expect(delivered(records, list, 585, true)).toEqual(['589']);
  });

  it('keeps what the same producer committed after an aborted transaction', () => {
    const records = [data(100, 'P'), data(101, 'P'), marker(102, 'P', ABORT), data(103, 'P'), marker(104, 'P', COMMIT), data(105, 'P'), marker(106, 'P', ABORT)];
    const list = [aborted('P', 100), aborted('P', 105)];
    expect(delivered(records, list, 100, true)).toEqual(['103']);
    expect(delivered(records, list, 101, true)).toEqual(['103']);
  });

  it('leaves out a transaction that wrote nothing at or after the fetch offset', () => {
    const records = [data(10, 'P'), marker(11, 'P', ABORT), data(12, 'Q'), marker(13, 'Q', COMMIT), data(14, 'P'), marker(15, 'P', COMMIT)];
    expect(restateAborted(records, [aborted('P', 10)], '12')).toEqual([]);
    expect(delivered(records, [aborted('P', 10)], 12, true)).toEqual(['12', '14']);
    // A producer with no record in the fetch at all.
    expect(restateAborted(records, [aborted('Z', 3)], '10')).toEqual([]);
  });

  it('passes records of idempotent (non-transactional) producers through', () => {
    const records = [data(0, 'I', false), data(1, 'T'), marker(2, 'T', ABORT), data(3, 'I', false)];
    expect(delivered(records, [aborted('T', 1)], 0, true)).toEqual(['0', '3']);
  });
});
