import { randomBytes } from 'node:crypto';
import { Column, Entity, PrimaryColumn } from 'typeorm';
import { ConfigResourceTypes, Partitioners, type Kafka, type KafkaMessage } from 'kafkajs';
import type { KillEvent } from '@medic/domain';
import { createTestDatabase, testInfra } from '@medic/testing';
import { SAMPLE_EVENTS } from '../../domain/test/kill-event-samples';
import { openDatabase } from './database';
import { fromKafkaMessage, newEnvelope, toKafkaMessage, type LoggedEvent } from './envelope';
import { EventLog } from './event-log';
import { createKafka, ensureTopics, EOS_PRODUCER } from './kafka';
import { readLog } from './log-reader';
import { insertRowsIgnoringConflicts, upsertRows } from './chunks';
import { applyRecords, readStream, type StreamProjection } from './projection';
import { rebuildProjection } from './replay';

@Entity({ name: 'type_counts' })
class TypeCount {
  @PrimaryColumn('text') kill!: string;
  @Column('int') events!: number;
  @Column('text') last!: string;
}

/** A tiny projection: how many events each kill has had, and the last type. */
const counting: StreamProjection<'kill', TypeCount> = {
  name: 'test.type_counts',
  entity: TypeCount,
  read: readStream('kill', ['KillReported', 'DecisionMade']),
  keyOf: (e) => e.data.killId,
  evolve: (row, e: LoggedEvent<KillEvent>) => Object.assign(new TypeCount(), { kill: e.data.killId, events: (row?.events ?? 0) + 1, last: e.data.type }),
};
const DDL = [`CREATE TABLE IF NOT EXISTS {schema}.type_counts (kill text PRIMARY KEY, events int NOT NULL, last text NOT NULL)`];

/** A row of every kind of column Medic's entities use, upserted through one JSON parameter. */
@Entity({ name: 'all_kinds' })
class AllKinds {
  @PrimaryColumn('text', { name: 'module' }) module!: string;
  @PrimaryColumn('int', { name: 'slot' }) slot!: number;
  @Column('text', { name: 'tags', array: true }) tags!: string[];
  @Column('json', { name: 'detail', nullable: true }) detail!: unknown;
  @Column('jsonb', { name: 'factors', nullable: true }) factors!: unknown;
  @Column('timestamptz', { name: 'seen_at', nullable: true }) seenAt!: Date | null;
  @Column('double precision', { name: 'score', nullable: true }) score!: number | null;
  @Column('bigint', { name: 'offset_at' }) offsetAt!: string;
  @Column('boolean', { name: 'held', nullable: true }) held!: boolean | null;
  @Column('date', { name: 'day' }) day!: string;
  @Column('uuid', { name: 'ref', nullable: true }) ref!: string | null;
}
const ALL_KINDS_DDL = [
  `CREATE TABLE IF NOT EXISTS {schema}.all_kinds (module text, slot int, tags text[] NOT NULL, detail json, factors jsonb, seen_at timestamptz,
     score double precision, offset_at bigint NOT NULL, held boolean, day date NOT NULL, ref uuid, PRIMARY KEY (module, slot))`,
];

describe('event log on real Kafka and Postgres', () => {
  const id = `e${randomBytes(4).toString('hex')}`;
  const topic = `${id}.kill.events`;
  const dlq = `${id}.dlq.internal`;
  let kafka: Kafka;

  beforeAll(async () => {
    kafka = createKafka({ brokers: testInfra().brokers.split(','), clientId: id, maxWaitMs: 50, sessionTimeoutMs: 6000 });
    const admin = kafka.admin();
    await admin.connect();
    await ensureTopics(admin, [{ topic, partitions: 2, replicationFactor: 1 }]);
    await ensureTopics(admin, [{ topic, partitions: 2, replicationFactor: 1 }]); // idempotent
    await ensureTopics(admin, [{ topic: dlq, partitions: 1, replicationFactor: 1 }]);
    await admin.disconnect();
  });

  async function readAll(): Promise<KafkaMessage[]> {
    const out: KafkaMessage[] = [];
    await readLog(kafka, topic, async (r) => {
      out.push(...r.messages);
      await Promise.resolve();
    });
    return out;
  }

  it('provisions topics that keep events forever', async () => {
    const admin = kafka.admin();
    await admin.connect();
    const { resources } = await admin.describeConfigs({ includeSynonyms: false, resources: [{ type: ConfigResourceTypes.TOPIC, name: topic }] });
    await admin.disconnect();
    const entries = Object.fromEntries(resources[0]!.configEntries.map((c) => [c.configName, c.configValue]));
    expect(entries['retention.ms']).toBe('-1');
    expect(entries['retention.bytes']).toBe('-1');
  });

  it('appends CloudEvents binary-mode records keyed by kill, with causation, correlation and trace context', async () => {
    const log = new EventLog(kafka, { kill: topic, control: `${id}.control`, command: `${id}.commands` });
    await log.connect();
    const first = newEnvelope('kill', SAMPLE_EVENTS.KillReported, { source: 'medic/test', subject: 'demo-1', time: '2026-02-11T12:00:01.000Z', correlationId: 'corr-1' });
    const second = newEnvelope('kill', SAMPLE_EVENTS.DecisionMade, { source: 'medic/test', subject: 'demo-1', time: '2026-02-11T12:00:02.000Z', cause: first });
    await log.append('kill', [first, second]);
    await log.disconnect();

    const records = await readAll();
    expect(records).toHaveLength(2);
    const [r1, r2] = records as [KafkaMessage, KafkaMessage];
    expect(r1.key?.toString()).toBe('demo-1');
    const h = (m: KafkaMessage, k: string) => m.headers?.[k]?.toString();
    expect(h(r1, 'ce_type')).toBe('medic.kill.v1.KillReported');
    expect(h(r1, 'ce_specversion')).toBe('1.0');
    expect(h(r1, 'ce_source')).toBe('medic/test');
    expect(h(r1, 'ce_subject')).toBe('demo-1');
    expect(h(r1, 'content-type')).toBe('application/protobuf');
    expect(h(r1, 'medic_correlation_id')).toBe('corr-1');
    expect(h(r2, 'medic_causation_id')).toBe(first.id);
    expect(h(r2, 'medic_correlation_id')).toBe('corr-1');
    // One kill, one trace: appended outside any span, the caused event goes on from its cause's span;
    // the first, with no cause, was appended in a span of its own.
    expect(h(r1, 'traceparent')).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-0[01]$/);
    expect(h(r2, 'traceparent')).toBe(h(r1, 'traceparent'));

    const back = fromKafkaMessage('kill', { topic, partition: 0, offset: r2.offset, value: r2.value, headers: r2.headers });
    expect(back.data).toEqual(SAMPLE_EVENTS.DecisionMade);
    expect(back.causationId).toBe(first.id);
  });

  const SIZES = [0, 1, 127, 128, 511, 512, 16_383, 16_384, 200_000];

  it('reads back records and headers as they were written, through the patched kafkajs codec (patches/kafkajs+2.2.4.patch)', async () => {
    // The patch encodes into unzeroed buffers and decodes headers in one pass into an object without a prototype.
    const headerTopic = `${id}.headers`;
    const admin = kafka.admin();
    await admin.connect();
    await ensureTopics(admin, [{ topic: headerTopic, partitions: 1, replicationFactor: 1 }]);
    await admin.disconnect();
    const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
    await producer.connect();
    const long = 'x'.repeat(3000);
    await producer.send({
      topic: headerTopic,
      messages: [
        { key: 'a', value: Buffer.from('first'), headers: { ce_type: 'medic.kill.v1.KillReported', repeated: ['one', 'two', 'three'], long, ['__proto__']: 'hostile' } },
        { key: 'b', value: null, headers: {} },
        // Lengths on both sides of each varint width: the patch writes varints in place and sizes each record and batch up front.
        ...SIZES.map((size, i) => ({ key: `s${i}`, value: Buffer.alloc(size, i + 1), headers: { size: String(size), pad: 'p'.repeat(size % 300) } })),
      ],
    });
    await producer.disconnect();
    const read: KafkaMessage[] = [];
    await readLog(kafka, headerTopic, async (r) => {
      read.push(...r.messages);
      await Promise.resolve();
    });
    expect(read).toHaveLength(2 + SIZES.length);
    const [first, second, ...sized] = read as [KafkaMessage, KafkaMessage, ...KafkaMessage[]];
    expect(sized.map((m) => [m.key?.toString(), m.value?.length, m.value?.every((b) => b === Number(m.key!.toString().slice(1)) + 1), m.headers?.['size']?.toString(), m.headers?.['pad']?.length])).toEqual(
      SIZES.map((size, i) => [`s${i}`, size, true, String(size), size % 300]),
    );
    const headers = first.headers!;
    expect(Object.getPrototypeOf(headers)).toBeNull();
    expect(Object.keys(headers).sort()).toEqual(['__proto__', 'ce_type', 'long', 'repeated']);
    expect(headers['ce_type']?.toString()).toBe('medic.kill.v1.KillReported');
    expect((headers['repeated'] as Buffer[]).map((b) => b.toString())).toEqual(['one', 'two', 'three']);
    expect(headers['long']?.toString()).toBe(long);
    expect(String(Object.getOwnPropertyDescriptor(headers, '__proto__')?.value)).toBe('hostile');
    expect(first.value?.toString()).toBe('first');
    expect(second.value).toBeNull();
    expect(Object.keys(second.headers!)).toEqual([]);
  });

  it('folds a round of more rows than one Postgres statement may carry parameters for', async () => {
    // 25,000 rows of 3 columns is 75,000 parameters: one statement would overflow the protocol's 16-bit count.
    const messages = Array.from({ length: 25_000 }, (_, i): KafkaMessage => {
      const killId = `wide-${i}`;
      const env = newEnvelope('kill', { ...SAMPLE_EVENTS.KillReported, killId }, { source: 'medic/test', subject: killId, time: '2026-02-11T12:00:00.000Z' });
      return { ...toKafkaMessage('kill', env), offset: String(i), timestamp: '0', attributes: 0 } as KafkaMessage;
    });
    const url = await createTestDatabase(testInfra().databaseUrl, `medic_${id}_wide`);
    const ds = await openDatabase({ url, schema: 'widetest', entities: [TypeCount], ddl: DDL });
    try {
      const applied = await ds.transaction((tx) => applyRecords(tx, counting, { topic, partition: 0, messages }));
      expect(applied).toMatchObject({ applied: 25_000, rejected: [] });
      // Folded again with one more event each, the rows are read back in slices too.
      const again = messages.map((m, i) => ({ ...m, offset: String(25_000 + i) }));
      expect(await ds.transaction((tx) => applyRecords(tx, counting, { topic, partition: 0, messages: again }))).toMatchObject({ applied: 25_000 });
      expect(await ds.getRepository(TypeCount).count()).toBe(25_000);
      expect(await ds.getRepository(TypeCount).findOneBy({ kill: 'wide-24999' })).toEqual({ kill: 'wide-24999', events: 2, last: 'KillReported' });
    } finally {
      await ds.destroy();
    }
  });

  it('upserts rows of every column kind through one JSON parameter, and reads them back as they were written', async () => {
    const url = await createTestDatabase(testInfra().databaseUrl, `medic_${id}_kinds`);
    const ds = await openDatabase({ url, schema: 'kindstest', entities: [AllKinds], ddl: ALL_KINDS_DDL });
    const row = (module: string, slot: number, over: Partial<AllKinds> = {}): AllKinds =>
      Object.assign(new AllKinds(), {
        module,
        slot,
        tags: ['a', 'quote " and, comma', '{brace}', ''],
        detail: { text: 'line\nbreak \u001b escape', list: [1, 'two', null], nested: { at: '2026-12-04T10:00:00.000Z' } },
        factors: [{ name: 'smith_confidence', weight: 0.25 }],
        seenAt: new Date('2026-12-04T10:00:00.123Z'),
        score: 0.1 + 0.2,
        offsetAt: '9007199254740993',
        held: false,
        day: '2026-12-04',
        ref: '11111111-2222-4333-8444-555555555555',
        ...over,
      });
    try {
      const first = [row('m-1', 1), row('m-1', 2, { tags: [], detail: 'a JSON string', factors: null, seenAt: null, score: null, held: null, ref: null }), row("m-'2", 1)];
      await ds.transaction((tx) => upsertRows(tx, AllKinds, first, ['module', 'slot']));
      const byKey = (a: AllKinds, b: AllKinds) => (a.module === b.module ? a.slot - b.slot : a.module < b.module ? -1 : 1);
      const read = async () => (await ds.getRepository(AllKinds).find()).sort(byKey);
      expect(await read()).toEqual([...first].sort(byKey));
      // The same keys again: every other column is replaced, none is added.
      const second = [row('m-1', 2, { tags: ['b'], score: 1, held: true, offsetAt: '7' })];
      await ds.transaction((tx) => upsertRows(tx, AllKinds, second, ['module', 'slot']));
      expect(await read()).toEqual([first[0]!, second[0]!, first[2]!].sort(byKey));
      // Nothing to write is no statement, not an error.
      await ds.transaction((tx) => upsertRows(tx, AllKinds, [], ['module', 'slot']));
      expect(await ds.getRepository(AllKinds).count()).toBe(3);
      // Inserted ignoring conflicts: a key held already keeps its row, a new one is added.
      const third = [row('m-1', 1, { score: 5, tags: ['changed'] }), row('m-3', 1)];
      await ds.transaction((tx) => insertRowsIgnoringConflicts(tx, AllKinds, third));
      expect(await read()).toEqual([first[0]!, second[0]!, first[2]!, third[1]!].sort(byKey));
    } finally {
      await ds.destroy();
    }
  });

  it('applies a projection exactly once per event and rebuilds it to the same rows', async () => {
    const producer = kafka.producer({ ...EOS_PRODUCER, transactionalId: `${id}-tx` });
    await producer.connect();
    for (const killId of ['k-1', 'k-2', 'k-3']) {
      const txn = await producer.transaction();
      const reported = newEnvelope('kill', { ...SAMPLE_EVENTS.KillReported, killId }, { source: 'medic/test', subject: killId, time: '2026-02-11T12:00:00.000Z' });
      const decided = newEnvelope('kill', { ...SAMPLE_EVENTS.DecisionMade, killId }, { source: 'medic/test', subject: killId, time: '2026-02-11T12:00:00.000Z', cause: reported });
      await txn.send({ topic, messages: [toKafkaMessage('kill', reported), toKafkaMessage('kill', decided)] });
      await txn.commit();
    }
    await producer.disconnect();

    const url = await createTestDatabase(testInfra().databaseUrl, `medic_${id}`);
    const ds = await openDatabase({ url, schema: 'projtest', entities: [TypeCount], ddl: DDL });
    try {
      // The log ends in a transaction marker; reading it still ends.
      const records = await readAll();
      expect(records.length).toBe(8);
      const byPartition = new Map<number, KafkaMessage[]>();
      await readLog(kafka, topic, async (r) => {
        byPartition.set(r.partition, [...(byPartition.get(r.partition) ?? []), ...r.messages]);
        await Promise.resolve();
      });
      const applyAll = () =>
        ds.transaction(async (tx) => {
          let n = 0;
          for (const [partition, messages] of byPartition) n += (await applyRecords(tx, counting, { topic, partition, messages })).applied;
          return n;
        });
      expect(await applyAll()).toBe(8);
      expect(await applyAll()).toBe(0); // redelivered records are skipped by offset
      const live = await ds.getRepository(TypeCount).find({ order: { kill: 'ASC' } });
      expect(live.find((r) => r.kill === 'k-2')).toEqual({ kill: 'k-2', events: 2, last: 'DecisionMade' });
      expect(live.find((r) => r.kill === 'demo-1')).toEqual({ kill: 'demo-1', events: 2, last: 'DecisionMade' });

      const result = await rebuildProjection({ kafka, dataSource: ds, projection: counting, topic, live: { step: 'test', deadLetterTopic: dlq } });
      expect(result).toMatchObject({ applied: 8, rejected: 0, skipped: [] });
      expect(await ds.getRepository(TypeCount).find({ order: { kill: 'ASC' } })).toEqual(live);
    } finally {
      await ds.destroy();
    }
  });
});

