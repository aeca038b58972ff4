// kafkajs's own batch, which filters a fetched partition's records: what a consumer is handed.
// The filter of aborted transactions in it is patched (patches/kafkajs+2.2.4.patch).
// eslint-disable-next-line @typescript-eslint/no-require-imports
const Batch = require('kafkajs/src/consumer/batch') as new (topic: string, fetchedOffset: string, partitionData: unknown) => { messages: { offset: string }[] };

interface Fetched {
  readonly offset: string;
  readonly key: Buffer;
  readonly isControlRecord?: boolean;
  readonly batchContext: { readonly producerId: string; readonly inTransaction: boolean };
}
interface Aborted {
  readonly producerId: string;
  readonly firstOffset: string;
}

const ABORT = Buffer.from([0, 0, 0, 0]);
const COMMIT = Buffer.from([0, 0, 0, 1]);
const data = (offset: number, producerId: string, inTransaction = true): Fetched => ({
  offset: String(offset),
  key: Buffer.from(`k${offset}`),
  batchContext: { producerId, inTransaction },
});
const marker = (offset: number, producerId: string, key: Buffer): Fetched => ({
  offset: String(offset),
  key,
  isControlRecord: true,
  batchContext: { producerId, inTransaction: true },
});
const aborted = (producerId: string, firstOffset: number): Aborted => ({ producerId, firstOffset: String(firstOffset) });

/** The offsets kafkajs hands a consumer from this fetch (records and the broker's list of aborted transactions). */
function delivered(records: Fetched[], abortedTransactions: Aborted[], fetchOffset: number): string[] {
  return new Batch('t', String(fetchOffset), { partition: 0, highWatermark: '1000', messages: records, abortedTransactions }).messages.map((m) => m.offset);
}

describe('aborted transactions in a read_committed fetch', () => {
  it('drops what two producers rolled back when the broker lists them by where they ended', () => {
    // Two producers of one partition both aborted, the later-begun one first (as each step's
    // two transactional ids per partition do when the broker restarts). Released kafkajs took
    // the list as ordered by first offset and handed out 583.
    const records = [data(583, '34'), data(584, '63'), marker(585, '63', ABORT), marker(586, '34', ABORT), data(587, '40'), marker(588, '40', COMMIT)];
    expect(delivered(records, [aborted('63', 584), aborted('34', 583)], 583)).toEqual(['587']);
    expect(delivered(records, [aborted('34', 583), aborted('63', 584)], 583)).toEqual(['587']);
  });

  it('drops them when the fetch begins inside several aborted transactions', () => {
    // Records before the fetch offset come back too (whole record batches); kafkajs skips them,
    // and released kafkajs started at most one listed transaction per record, handing out 585.
    const records = [data(583, 'A'), data(584, 'B'), data(585, 'B'), data(586, 'A'), marker(587, 'B', ABORT), marker(588, 'A', ABORT), data(589, 'C'), marker(590, 'C', COMMIT)];
    expect(delivered(records, [aborted('A', 583), aborted('B', 584)], 585)).toEqual(['589']);
    expect(delivered(records, [aborted('B', 584), aborted('A', 583)], 586)).toEqual(['589']);
  });

  it('keeps what the same producer committed between two aborted transactions', () => {
    const records = [data(100, 'P'), data(101, 'P'), marker(102, 'P', ABORT), data(103, 'P'), marker(104, 'P', COMMIT), data(105, 'P'), marker(106, 'P', ABORT)];
    expect(delivered(records, [aborted('P', 105), aborted('P', 100)], 100)).toEqual(['103']);
    expect(delivered(records, [aborted('P', 100), aborted('P', 105)], 101)).toEqual(['103']);
  });

  it("keeps other producers' records inside an aborted transaction's span", () => {
    const records = [data(10, 'P'), data(11, 'Q'), data(12, 'P'), marker(13, 'Q', COMMIT), marker(14, 'P', ABORT), data(15, 'P'), marker(16, 'P', COMMIT)];
    expect(delivered(records, [aborted('P', 10)], 10)).toEqual(['11', '15']);
  });

  it('passes records of idempotent (non-transactional) producers through', () => {
    const records = [data(0, 'I', false), data(1, 'T'), data(2, 'I', false), marker(3, 'T', ABORT), data(4, 'I', false)];
    expect(delivered(records, [aborted('T', 1)], 0)).toEqual(['0', '2', '4']);
  });

  it('hands out everything when nothing was aborted', () => {
    const records = [data(0, 'T'), marker(1, 'T', COMMIT), data(2, 'U'), marker(3, 'U', COMMIT)];
    expect(delivered(records, [], 0)).toEqual(['0', '2']);
  });
});
