import { randomBytes } from 'node:crypto';
import type { KafkaMessage } from 'kafkajs';
import { Column, Entity, PrimaryColumn, type DataSource } from 'typeorm';
import { createTestDatabase, testInfra } from '@medic/testing';
import { openDatabase } from './database';
import { advanceOffset, applyRecordsToAll, storedOffset, type Projection, type RawRecords } from './projection';

@Entity({ name: 'seen' })
class Seen {
  @PrimaryColumn('text') key!: string;
  @Column('text') offsets!: string;
}
const DDL = [`CREATE TABLE IF NOT EXISTS {schema}.seen (key text PRIMARY KEY, offsets text NOT NULL)`];

interface Mark {
  readonly offset: string;
  readonly key: string;
}

/** Keeps, per projection, the offsets it folded, in order; "only" limits it to records of one value. */
function marks(name: string, only?: string): Projection<Mark, Seen> {
  return {
    name,
    entity: Seen,
    read: (records: RawRecords) => ({
      events: records.messages.filter((m) => only === undefined || m.value?.toString() === only).map((m) => ({ offset: m.offset, key: name })),
      rejected: [],
    }),
    keyOf: (m) => m.key,
    evolve: (row, m) => Object.assign(new Seen(), { key: m.key, offsets: row ? `${row.offsets},${m.offset}` : m.offset }),
  };
}

const message = (offset: number, value: string): KafkaMessage => ({ offset: String(offset), key: null, value: Buffer.from(value), timestamp: '0', attributes: 0, headers: {} });

/** Several projections of one topic applied together, on a real Postgres. */
describe('applyRecordsToAll', () => {
  const id = `p${randomBytes(4).toString('hex')}`;
  let ds: DataSource;

  beforeAll(async () => {
    const url = await createTestDatabase(testInfra().databaseUrl, `medic_${id}`);
    ds = await openDatabase({ url, schema: 'proj', entities: [Seen], ddl: DDL });
  });
  afterAll(async () => {
    await ds?.destroy();
  });

  const folded = async (name: string) => (await ds.query<{ offsets: string }[]>('SELECT offsets FROM seen WHERE key = $1', [name]))[0]?.offsets ?? null;

  it('gives each projection only the records past its own position, and moves only the positions of those that had some', async () => {
    const behind = marks('test.behind');
    const ahead = marks('test.ahead');
    const picky = marks('test.picky', 'b');
    const caughtUp = marks('test.caught_up');
    await ds.transaction(async (tx) => {
      // Where a rebuild or an earlier runner may have left them.
      await advanceOffset(tx, ahead.name, 't', 0, '11');
      await advanceOffset(tx, caughtUp.name, 't', 0, '12');
      await advanceOffset(tx, caughtUp.name, 't', 1, '3');
    });
    const records: RawRecords = { topic: 't', partition: 0, messages: [message(10, 'a'), message(11, 'b'), message(12, 'a')] };

    const results = await ds.transaction((tx) => applyRecordsToAll(tx, [behind, ahead, picky, caughtUp], records));

    expect([...results.keys()]).toEqual(['test.behind', 'test.ahead', 'test.picky', 'test.caught_up']);
    expect([...results.values()].map((r) => r.applied)).toEqual([3, 1, 1, 0]);
    expect(await folded(behind.name)).toBe('10,11,12');
    expect(await folded(ahead.name)).toBe('12');
    // A projection that passes records by still moves past them.
    expect(await folded(picky.name)).toBe('11');
    expect(await folded(caughtUp.name)).toBeNull();
    const positions = [];
    for (const p of [behind, ahead, picky, caughtUp]) positions.push(await ds.transaction((tx) => storedOffset(tx, p.name, 't', 0)));
    expect(positions).toEqual([12n, 12n, 12n, 12n]);
    // Another partition's position is its own.
    expect(await ds.transaction((tx) => storedOffset(tx, caughtUp.name, 't', 1))).toBe(3n);

    // The same records again: nothing is folded twice and nothing moves.
    const again = await ds.transaction((tx) => applyRecordsToAll(tx, [behind, ahead, picky, caughtUp], records));
    expect([...again.values()].every((r) => r.applied === 0)).toBe(true);
    expect(await folded(behind.name)).toBe('10,11,12');
  });

  it('writes only the rows an event changed: a row evolve gives back as it was is not written again, and its tally stays', async () => {
    // Folds records "set:<v>" into the row's value; any other record gives the row back as it was.
    const settable: Projection<Mark & { value: string }, Seen> = {
      name: 'test.settable',
      entity: Seen,
      read: (records: RawRecords) => ({ events: records.messages.map((m) => ({ offset: m.offset, key: 'test.settable', value: m.value!.toString() })), rejected: [] }),
      keyOf: (m) => m.key,
      evolve: (row, m) => (m.value.startsWith('set:') ? Object.assign(new Seen(), { key: m.key, offsets: m.value.slice(4) }) : row),
      tally: (row) => [`value:${row.offsets}`],
    };
    const version = async () => (await ds.query<{ xmin: string; offsets: string }[]>('SELECT xmin::text AS xmin, offsets FROM seen WHERE key = $1', ['test.settable']))[0]!;
    const tallies = async () => ds.query<{ tally: string; n: string }[]>("SELECT tally, n::text AS n FROM projection_tallies WHERE projection = 'test.settable' AND n <> 0 ORDER BY tally");
    const apply = (messages: KafkaMessage[]) => ds.transaction((tx) => applyRecordsToAll(tx, [settable], { topic: 'u', partition: 0, messages }));

    await apply([message(0, 'set:a')]);
    const written = await version();
    expect(written.offsets).toBe('a');
    // Records that change nothing: the row's version (xmin) is the same, the tally still counts it once.
    await apply([message(1, 'noop'), message(2, 'noop')]);
    expect(await version()).toEqual(written);
    expect(await tallies()).toEqual([{ tally: 'value:a', n: '1' }]);
    // A record that changes it is written, and so is its tally.
    await apply([message(3, 'noop'), message(4, 'set:b')]);
    const rewritten = await version();
    expect(rewritten.offsets).toBe('b');
    expect(rewritten.xmin).not.toBe(written.xmin);
    expect(await tallies()).toEqual([{ tally: 'value:b', n: '1' }]);
    expect(await ds.transaction((tx) => storedOffset(tx, 'test.settable', 'u', 0))).toBe(4n);
  });

  it('takes every projection\'s lock: a rebuild holding one makes the batch wait for it', async () => {
    const first = marks('test.lock_first');
    const second = marks('test.lock_second');
    const runner = ds.createQueryRunner();
    await runner.connect();
    await runner.startTransaction();
    try {
      await runner.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`projection:${second.name}`]);
      let done = false;
      const applying = ds.transaction((tx) => applyRecordsToAll(tx, [first, second], { topic: 't', partition: 0, messages: [message(1, 'a')] })).then(() => (done = true));
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(done).toBe(false);
      await runner.commitTransaction();
      await applying;
      expect(await folded(second.name)).toBe('1');
    } finally {
      if (runner.isTransactionActive) await runner.rollbackTransaction();
      await runner.release();
    }
  });
});
