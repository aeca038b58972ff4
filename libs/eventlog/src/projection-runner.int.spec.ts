import { randomBytes } from 'node:crypto';
import type { Kafka, KafkaMessage } from 'kafkajs';
import { Client } from 'pg';
import { Column, Entity, PrimaryColumn, type DataSource } from 'typeorm';
import { createTestDatabase, eventually, testInfra } from '@medic/testing';
import { openDatabase } from './database';
import { readDeadLetter } from './dead-letters';
import { createKafka, EOS_PRODUCER, provisionTopics } from './kafka';
import { endOffsets, readLog } from './log-reader';
import type { Projection, RawRecords } from './projection';
import { ProjectionRunner } from './projection-runner';

@Entity({ name: 'tallies' })
class Tally {
  @PrimaryColumn('text') key!: string;
  @Column('int') count!: number;
}
const DDL = [`CREATE TABLE IF NOT EXISTS {schema}.tallies (key text PRIMARY KEY, count int NOT NULL)`];

interface Vote {
  readonly offset: string;
  readonly key: string;
  readonly value: string;
}

/** Counts records per key; a value "boom" is a bug in evolve, a value that is not text cannot be read. */
const tallies: Projection<Vote, Tally> = {
  name: 'test.tallies',
  entity: Tally,
  read: (records: RawRecords) => {
    const events: Vote[] = [];
    const rejected = [];
    for (const m of records.messages) {
      const value = m.value?.toString('utf8') ?? '';
      if (!/^[\x20-\x7e]*$/.test(value)) rejected.push({ offset: m.offset, code: 'undecodable', reason: 'not printable text' });
      else events.push({ offset: m.offset, key: m.key?.toString() ?? '', value });
    }
    return { events, rejected };
  },
  keyOf: (v) => v.key,
  evolve: (row, v) => {
    if (v.value === 'boom') throw new Error('cannot fold boom');
    return Object.assign(new Tally(), { key: v.key, count: (row?.count ?? 0) + 1 });
  },
};

/** The projection runner on real Kafka and Postgres: dead letters for what it cannot fold, retries for outages. */
describe('projection runner', () => {
  const id = `r${randomBytes(4).toString('hex')}`;
  const topic = `${id}.in`;
  const dlq = `${id}.dlq`;
  let kafka: Kafka;
  let ds: DataSource;
  let url: string;
  let runner: ProjectionRunner;

  beforeAll(async () => {
    kafka = createKafka({ brokers: testInfra().brokers.split(','), clientId: id, maxWaitMs: 20, sessionTimeoutMs: 6000 });
    await provisionTopics(kafka, [topic, dlq], { partitions: 2, replicationFactor: 1 });
    url = await createTestDatabase(testInfra().databaseUrl, `medic_${id}`);
    ds = await openDatabase({ url, schema: 'proj', entities: [Tally], ddl: DDL });
    runner = newRunner();
    await runner.start();
  });
  afterAll(async () => {
    await runner?.stop();
    await ds?.destroy();
  });

  /** The offsets the topic's partitions hold, commit markers included, as read-committed readers see them. */
  const logLength = async () => [...(await endOffsets(kafka, topic)).values()].reduce((a, b) => a + b, 0n);
  const newRunner = () => new ProjectionRunner({ kafka, dataSource: ds, step: 'test', projections: [tallies], topic, deadLetterTopic: dlq, groupId: `${id}-g`, maxWaitMs: 20, sessionTimeoutMs: 6000 });

  async function publish(messages: { key: string; value: Buffer | string }[]): Promise<void> {
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic, messages });
    await producer.disconnect();
  }

  const total = async () => Number((await ds.query<{ n: string }[]>('SELECT coalesce(sum(count), 0) AS n FROM tallies'))[0]!.n);

  it('dead-letters a record it cannot read and one evolve fails on, with reasons, and applies the rest once', async () => {
    await publish([
      { key: 'a', value: 'one' },
      { key: 'a', value: Buffer.from([0xff, 0x00, 0x01]) },
      { key: 'a', value: 'boom' },
      { key: 'a', value: 'two' },
      { key: 'b', value: 'three' },
    ]);
    await eventually(async () => ((await total()) === 3 ? true : undefined), 'three records applied');
    const dead: KafkaMessage[] = [];
    await eventually(async () => {
      dead.length = 0;
      await readLog(kafka, dlq, async (r) => {
        dead.push(...r.messages);
        await Promise.resolve();
      });
      return dead.length >= 2 ? true : undefined;
    }, 'two dead letters');
    const infos = dead.map((m) => readDeadLetter(m.headers));
    expect(infos.map((i) => [i?.step, i?.code])).toEqual([
      ['test', 'undecodable'],
      ['test', 'projection_failed'],
    ]);
    expect(infos[1]?.reason).toMatch(/cannot fold boom/);
    expect(dead[0]!.value).toEqual(Buffer.from([0xff, 0x00, 0x01]));
    expect(await ds.getRepository(Tally).findBy({})).toEqual(expect.arrayContaining([{ key: 'a', count: 2 }, { key: 'b', count: 1 }]));
  });

  it('rides out Postgres dropping its connections, applying every record exactly once', async () => {
    const before = await total();
    const admin = new Client({ connectionString: url });
    await admin.connect();
    try {
      for (let round = 0; round < 5; round++) {
        await publish(Array.from({ length: 40 }, (_, i) => ({ key: `k${i % 7}`, value: `v${round}-${i}` })));
        // Every connection of the runner's pool goes, mid-stream.
        await admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()');
      }
    } finally {
      await admin.end();
    }
    await eventually(async () => ((await total()) >= before + 200 ? true : undefined), 'all 200 records applied', 60_000);
    // Nothing more arrives late: exactly once.
    await new Promise((r) => setTimeout(r, 1000));
    expect(await total()).toBe(before + 200);
  });

  it('says whether its projections have folded what the log held, waiting for them a while', async () => {
    await publish(Array.from({ length: 20 }, (_, i) => ({ key: `fold-${i % 2}`, value: 'vote' })));
    expect(await runner.foldedToEnd(30_000)).toBe(true);
    // Appended in a transaction, a partition's log ends with a commit marker no projection is shown.
    const before = await logLength();
    const transactional = kafka.producer({ ...EOS_PRODUCER, transactionalId: `${id}-txn` });
    await transactional.connect();
    const txn = await transactional.transaction();
    await txn.send({ topic, acks: -1, messages: [{ key: 'fold-txn', value: 'vote' }] });
    await txn.commit();
    await transactional.disconnect();
    // Read-committed readers see the record once its marker is written, a moment after the commit.
    await eventually(async () => ((await logLength()) === before + 2n ? true : undefined), 'the record and its commit marker');
    expect(await runner.foldedToEnd(30_000)).toBe(true);
    expect(Number((await ds.query<{ count: number }[]>(`SELECT count FROM tallies WHERE key = 'fold-txn'`))[0]?.count)).toBe(1);
    // Stopped, it folds nothing more: records appended since are not folded, however long it is given.
    await runner.stop();
    try {
      await publish([{ key: 'fold-late', value: 'vote' }]);
      expect(await runner.foldedToEnd(500)).toBe(false);
    } finally {
      runner = newRunner();
      await runner.start();
    }
    expect(await runner.foldedToEnd(30_000)).toBe(true);
    expect(Number((await ds.query<{ count: number }[]>(`SELECT count FROM tallies WHERE key = 'fold-late'`))[0]?.count)).toBe(1);
  });
});
