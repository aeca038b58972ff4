import { randomBytes } from 'node:crypto';
import type { Kafka, KafkaMessage, Message } from 'kafkajs';
import { Registry } from 'prom-client';
import type { DataSource } from 'typeorm';
import { Logger, type LogContext } from '@medic/observability';
import { eventually } from '@medic/testing';
import { infraFor, kafkaFor, statelessStepOf, stepOf } from '../test/processor-steps';
import { EOS_PRODUCER, provisionTopics } from './kafka';
import { readLog } from './log-reader';
import type { ProcessorBatch, TransactionalProcessor } from './transactional-processor';

/** Handles every record by copying it to `output`. */
const copyTo =
  (output: string) =>
  (batches: readonly ProcessorBatch[]) =>
    Promise.resolve(batches.map((b) => ({ outputs: [{ topic: output, messages: b.messages.map((m) => ({ key: m.key, value: m.value })) }], report: b.messages.length })));

/** Sends records to a topic, as any producer would. */
async function sendTo(kafka: Kafka, topic: string, messages: Message[]): Promise<void> {
  const producer = kafka.producer(EOS_PRODUCER);
  await producer.connect();
  try {
    await producer.send({ topic, acks: -1, messages });
  } finally {
    await producer.disconnect();
  }
}

/** Every committed record of a topic, up to its end now. */
async function readAll(kafka: Kafka, topic: string): Promise<KafkaMessage[]> {
  const seen: KafkaMessage[] = [];
  await readLog(kafka, topic, async (r) => {
    seen.push(...r.messages);
    await Promise.resolve();
  });
  return seen;
}

/** Sends each value as a record, all under one key. */
const publishValues = (kafka: Kafka, topic: string, values: readonly string[]) => sendTo(kafka, topic, values.map((value) => ({ key: 'k', value })));

/** The values of every committed record of a topic, up to its end now. */
const valuesIn = async (kafka: Kafka, topic: string) => (await readAll(kafka, topic)).map((m) => m.value!.toString());

/** The values of every committed record of a topic, once it holds at least `n` (waiting up to a minute). */
const valuesAtLeast = (kafka: Kafka, topic: string, n: number, what: string) =>
  eventually(async () => {
    const all = await valuesIn(kafka, topic);
    return all.length >= n ? all : undefined;
  }, what, 60_000);

/** The records of a dead-letter topic, once it holds one. */
const deadLettersIn = (kafka: Kafka, dlq: string) =>
  eventually(async () => {
    const all = await readAll(kafka, dlq);
    return all.length >= 1 ? all : undefined;
  }, 'the poison dead-lettered');

/** The offset a consumer group has committed on partition 0 of a topic. */
async function committedOffset(kafka: Kafka, groupId: string, topic: string): Promise<string> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const [found] = await admin.fetchOffsets({ groupId, topics: [topic] });
    return found!.partitions[0]!.offset;
  } finally {
    await admin.disconnect();
  }
}

/**
 * A step that copies each input record to the output topic through real Kafka
 * transactions, while another client initialises the step's transactional ids
 * mid-stream: every input must come out exactly once, in order.
 */
describe('transactional processor on real Kafka', () => {
  const id = `p${randomBytes(4).toString('hex')}`;
  const input = `${id}.in`;
  const output = `${id}.out`;
  let kafka: Kafka;
  let ds: DataSource;
  let processor: TransactionalProcessor<number>;

  beforeAll(async () => {
    ({ kafka, ds } = await infraFor(id, [input, output]));
    processor = stepOf(id, kafka, ds, { step: 'copy', topics: [input], handle: copyTo(output) });
    await processor.start();
  });
  afterAll(async () => {
    await processor?.stop();
    await ds?.destroy();
  });

  async function publish(from: number, count: number): Promise<void> {
    for (let i = from; i < from + count; i += 10) {
      await sendTo(kafka, input, Array.from({ length: 10 }, (_, j) => ({ key: `k${i + j}`, value: `v${i + j}` })));
    }
  }

  async function outputs(): Promise<string[]> {
    return (await readAll(kafka, output)).map((m) => m.key!.toString());
  }

  it('copies every record exactly once and in order, also when another client takes its transactional ids mid-stream', async () => {
    await publish(0, 100);
    await eventually(async () => ((await outputs()).length >= 100 ? true : undefined), 'the first 100 copies');

    // Another client initialises the partition's transactional ids, as a zombie or a new
    // replica would; whatever happens to the step's open transactions, nothing may be lost or repeated.
    // (kafkajs claims a transactional id when its first transaction begins, not at connect.)
    const usurpers = [0, 1].map((turn) => kafka.producer({ ...EOS_PRODUCER, transactionalId: `${id}-${input}-0-${turn}` }));
    await Promise.all(
      usurpers.map(async (p) => {
        await p.connect();
        await (await p.transaction()).abort();
      }),
    );
    await publish(100, 100);

    const keys = await eventually(async () => {
      const all = await outputs();
      return all.length >= 200 ? all : undefined;
    }, 'all 200 copies', 60_000);
    expect(keys).toHaveLength(200);
    expect(new Set(keys).size).toBe(200);
    expect(keys).toEqual(Array.from({ length: 200 }, (_, i) => `k${i}`));
    await Promise.all(usurpers.map((p) => p.disconnect().catch(() => undefined)));
  });
});

/**
 * A step whose predecessor was killed mid-transaction on the step's own input
 * (as the decision step reads the topic it writes): the open transaction hides
 * every later record from read_committed readers until it is aborted, so the
 * step must fence its ids when it is given the partition, not at a first batch
 * it would never see. The broker's transaction timeout (60 s) is far beyond
 * what this test waits.
 */
describe('transactional processor taking over from a predecessor killed mid-transaction', () => {
  const id = `z${randomBytes(4).toString('hex')}`;
  const topic = `${id}.log`;
  let kafka: Kafka;
  let ds: DataSource;
  let processor: TransactionalProcessor<number> | null = null;
  const zombie = () => kafka.producer({ ...EOS_PRODUCER, transactionalId: `${id}-${topic}-0-0` });

  beforeAll(async () => {
    ({ kafka, ds } = await infraFor(id, [topic]));
  });
  afterAll(async () => {
    await processor?.stop();
    await ds?.destroy();
  });

  it('aborts the open transaction when it takes the partition, and carries on at once', async () => {
    const predecessor = zombie();
    await predecessor.connect();
    const txn = await predecessor.transaction();
    await txn.send({ topic, acks: -1, messages: [{ key: 'orphan', value: 'never committed' }] });
    // The predecessor dies here: its transaction stays open on the broker.
    const producer = kafka.producer(EOS_PRODUCER);
    await producer.connect();
    await producer.send({ topic, acks: -1, messages: Array.from({ length: 5 }, (_, i) => ({ key: `in-${i}`, value: 'in' })) });
    await producer.disconnect();

    const seen: string[] = [];
    processor = stepOf(id, kafka, ds, {
      step: 'copy',
      topics: [topic],
      // Like the decision step, it reacts to the inputs only and passes its own outputs by.
      relevant: (m) => m.key?.toString().startsWith('in-') ?? false,
      handle: (batches) =>
        Promise.resolve(
          batches.map((batch) => {
            seen.push(...batch.messages.map((m) => m.key!.toString()));
            return { outputs: [{ topic, messages: batch.messages.map((m) => ({ key: `out-${m.key!.toString()}`, value: 'out' })) }], report: batch.messages.length };
          }),
        ),
    });
    await processor.start();

    await eventually(() => Promise.resolve(seen.length >= 5 ? true : undefined), 'the inputs behind the open transaction', 20_000);
    expect(seen).toEqual(['in-0', 'in-1', 'in-2', 'in-3', 'in-4']);
    // Handled is not yet committed: the copies are read once their transaction has committed.
    const keys = await eventually(async () => {
      const read = (await readAll(kafka, topic)).map((m) => m.key!.toString());
      return read.filter((k) => k.startsWith('out-')).length >= 5 ? read : undefined;
    }, 'the copies committed');
    expect(keys).not.toContain('orphan');
    expect(keys.filter((k) => k.startsWith('out-'))).toEqual(['out-in-0', 'out-in-1', 'out-in-2', 'out-in-3', 'out-in-4']);
    await predecessor.disconnect().catch(() => undefined);
  });
});

/** A logger that keeps what the step tells at INFO and above. */
class KeptLines extends Logger {
  readonly lines: { level: string; message: string; context: LogContext }[] = [];
  override info(message: string, context: LogContext = {}): void {
    this.lines.push({ level: 'INFO', message, context });
  }
  override warn(message: string, context: LogContext = {}): void {
    this.lines.push({ level: 'WARNING', message, context });
  }
  override error(message: string, context: LogContext = {}): void {
    this.lines.push({ level: 'ERROR', message, context });
  }
}

/**
 * Records a step cannot handle: a non-retriable failure is retried a few
 * times, then the round's records are tried one by one and the failing one
 * is dead-lettered with the reason while the others flow on; a retriable
 * failure is retried for as long as it lasts and nothing is skipped.
 */
describe('transactional processor with records it cannot handle', () => {
  const id = `d${randomBytes(4).toString('hex')}`;
  const logger = new KeptLines('test.picky');
  const registry = new Registry();
  const input = `${id}.in`;
  const output = `${id}.out`;
  const dlq = `${id}.dlq`;
  let kafka: Kafka;
  let ds: DataSource;
  let processor: TransactionalProcessor<number> | null = null;
  let calls = 0;
  let outages = 0;

  beforeAll(async () => {
    ({ kafka, ds } = await infraFor(id, [input, output, dlq]));
    processor = stepOf(id, kafka, ds, {
      step: 'picky',
      logger,
      metrics: { registry },
      deadLetterTopic: dlq,
      topics: [input],
      handle: (batches) => {
        calls += 1;
        const values = batches.flatMap((b) => b.messages.map((m) => m.value!.toString()));
        if (outages > 0 && values.includes('flaky')) {
          outages -= 1;
          return Promise.reject(Object.assign(new Error('the database went away'), { code: '57P01' }));
        }
        if (values.includes('poison')) return Promise.reject(new Error('cannot handle poison'));
        return copyTo(output)(batches);
      },
    });
    await processor.start();
  });
  afterAll(async () => {
    await processor?.stop();
    await ds?.destroy();
  });

  const read = (topic: string) => readAll(kafka, topic);

  const publish = (values: string[]) => publishValues(kafka, input, values);

  it('dead-letters the record that keeps failing, with the reason, and passes the others on once', async () => {
    await publish(['ok-1', 'poison', 'ok-2']);
    const out = await eventually(async () => {
      const all = await read(output);
      return all.length >= 2 ? all : undefined;
    }, 'the good records copied', 30_000);
    expect(out.map((m) => m.value!.toString())).toEqual(['ok-1', 'ok-2']);
    const dead = await deadLettersIn(kafka, dlq);
    expect(dead).toHaveLength(1);
    expect(dead[0]!.value!.toString()).toBe('poison');
    expect(dead[0]!.headers?.medic_dlq_step?.toString()).toBe('picky');
    expect(dead[0]!.headers?.medic_dlq_code?.toString()).toBe('handler_error');
    expect(dead[0]!.headers?.medic_dlq_reason?.toString()).toBe('cannot handle poison');
    expect(dead[0]!.headers?.medic_dlq_source_offset?.toString()).toBe('1');
    // Three whole tries, then one per record.
    expect(calls).toBeGreaterThanOrEqual(6);
  });

  it('retries a retriable failure until it passes, and skips nothing; tells the outage once, its end, and counts the failed rounds', async () => {
    const failedRounds = async () => (await registry.getSingleMetric('medic_step_round_failures_total')!.get()).values.reduce((n, v) => n + v.value, 0);
    const [roundsBefore, linesBefore] = [await failedRounds(), logger.lines.length];
    outages = 4;
    await publish(['flaky', 'ok-3']);
    const out = await eventually(async () => {
      const all = await read(output);
      return all.length >= 4 ? all : undefined;
    }, 'the records behind the outage copied', 60_000);
    expect(out.map((m) => m.value!.toString())).toEqual(['ok-1', 'ok-2', 'flaky', 'ok-3']);
    expect(outages).toBe(0);
    expect(await read(dlq)).toHaveLength(1);
    expect((await failedRounds()) - roundsBefore).toBe(4);
    // Four failed rounds within seconds: one line for the first, none for the three like it, one for the end.
    const told = logger.lines.slice(linesBefore).map((l) => [l.level, l.message, l.context['failed_rounds']]);
    expect(told).toEqual([
      ['ERROR', 'step failed; its partitions start again from their committed offsets', 1],
      ['INFO', expect.stringMatching(/^step recovered after 4 failed rounds in [\d.]+ s$/), 4],
    ]);
  });
});

describe('transactional processor whose database is ahead of its log', () => {
  const id = `a${randomBytes(4).toString('hex')}`;
  const input = `${id}.in`;
  const output = `${id}.out`;
  let kafka: Kafka;
  let ds: DataSource;
  const processors: TransactionalProcessor<number>[] = [];

  const copier = () => stepOf(id, kafka, ds, { step: 'copy', topics: [input], handle: copyTo(output) });

  beforeAll(async () => {
    ({ kafka, ds } = await infraFor(id, [input, output]));
  });
  afterAll(async () => {
    for (const p of processors) await p.stop();
    await ds?.destroy();
  });

  const publish = (values: string[]) => publishValues(kafka, input, values);

  const copies = () => valuesIn(kafka, output);

  it('stops the partition, names the mismatch and sends nothing, when its log was deleted and made again', async () => {
    const first = copier();
    processors.push(first);
    await first.start();
    await publish(['a', 'b', 'c', 'd', 'e']);
    await eventually(async () => ((await copies()).length === 5 ? true : undefined), 'the five copies');
    await first.stop();

    // The input log is deleted and made again: the database's position (offset 4) is past its end.
    const admin = kafka.admin();
    await admin.connect();
    await admin.deleteTopics({ topics: [input] });
    await eventually(async () => ((await admin.listTopics()).includes(input) ? undefined : true), 'the input topic gone');
    await eventually(
      () => provisionTopics(kafka, [input], { partitions: 1, replicationFactor: 1 }).then(() => true, () => undefined),
      'the input topic made again',
    );
    await admin.disconnect();
    await publish(['new']);

    const second = copier();
    processors.push(second);
    await second.start();
    const stalled = await eventually(async () => Promise.resolve(second.stalled()[0]), 'the partition stopped');
    expect(stalled).toEqual({ topic: input, partition: 0, stored: '4', logEnd: '1' });
    // Neither the new record nor the stored outputs of the old log were sent.
    await new Promise((r) => setTimeout(r, 1500));
    expect(await copies()).toEqual(['a', 'b', 'c', 'd', 'e']);
  });
});

/**
 * A step whose batches send nothing (a projection, an idempotent write to the
 * outside world): it costs the broker no transaction, its consumed offsets
 * reach Kafka later and outside any transaction, and its position in Postgres
 * keeps a restart from handling again what Kafka had not been told of.
 */
describe('transactional processor whose batches send nothing', () => {
  const id = `n${randomBytes(4).toString('hex')}`;
  const input = `${id}.in`;
  let kafka: Kafka;
  let ds: DataSource;
  let processor: TransactionalProcessor<number> | null = null;
  const handled: string[] = [];
  const start = async () => {
    processor = stepOf(id, kafka, ds, {
      step: 'silent',
      topics: [input],
      handle: (batches) => {
        handled.push(...batches.flatMap((b) => b.messages.map((m) => m.key!.toString())));
        return Promise.resolve(batches.map((b) => ({ outputs: [], report: b.messages.length })));
      },
    });
    await processor.start();
  };

  beforeAll(async () => {
    ({ kafka, ds } = await infraFor(id, [input, `${id}.dlq`]));
    await start();
  });
  afterAll(async () => {
    await processor?.stop();
    await ds?.destroy();
  });

  const publish = (from: number, count: number) => sendTo(kafka, input, Array.from({ length: count }, (_, i) => ({ key: `k${from + i}`, value: 'v' })));

  const committed = () => committedOffset(kafka, `${id}-group`, input);

  const handledAtLeast = (n: number) => eventually(() => Promise.resolve(handled.length >= n ? true : undefined), `${n} records handled`);

  it('commits no transaction, owes its offsets to Kafka for a while, commits them even when idle, and handles nothing twice across a restart', async () => {
    await publish(0, 10);
    await handledAtLeast(10);
    const handledAt = Date.now();
    // A transaction would have committed the offsets with the batch.
    expect(await committed()).toBe('-1');
    // No record comes after them: they are committed on their own after a while, so the group's lag comes back to zero.
    await eventually(async () => ((await committed()) === '10' ? true : undefined), 'the owed offsets committed while idle');
    expect(Date.now() - handledAt).toBeGreaterThanOrEqual(4_500);

    await publish(10, 10);
    await handledAtLeast(20);
    expect(await committed()).toBe('10');
    await eventually(async () => ((await committed()) === '20' ? true : undefined), 'the next owed offsets committed');

    // Handled, but Kafka is not told yet: a restart fetches them again.
    await publish(20, 10);
    await handledAtLeast(30);
    expect(await committed()).toBe('20');
    await processor!.stop();
    await start();
    await publish(30, 10);
    await handledAtLeast(40);
    await new Promise((r) => setTimeout(r, 500));
    expect(handled).toEqual(Array.from({ length: 40 }, (_, i) => `k${i}`));
  });
});

/**
 * A stateless step (it keeps nothing between rounds, as enrichment asks the
 * SIEM and appends what it learnt): no database at all. Kafka's transaction
 * alone makes its outputs exactly once — a batch whose transaction failed is
 * fetched again and handled afresh, and what the failed transaction sent is
 * never read — and what it cannot handle is still dead-lettered.
 */
describe('stateless transactional processor, without a database', () => {
  const id = `s${randomBytes(4).toString('hex')}`;
  const input = `${id}.in`;
  const output = `${id}.out`;
  const dlq = `${id}.dlq`;
  let kafka: Kafka;
  let processor: TransactionalProcessor<number> | null = null;
  const handled: string[] = [];
  let outages = 0;

  beforeAll(async () => {
    kafka = await kafkaFor(id, [input, output, dlq]);
    processor = statelessStepOf(id, kafka, {
      step: 'ask',
      topics: [input],
      handle: (batches) => {
        const values = batches.flatMap((b) => b.messages.map((m) => m.value!.toString()));
        if (outages > 0 && values.includes('flaky')) {
          outages -= 1;
          return Promise.reject(Object.assign(new Error('the outside world is unreachable'), { retriable: true }));
        }
        if (values.includes('poison')) return Promise.reject(new Error('cannot handle poison'));
        handled.push(...values);
        return copyTo(output)(batches);
      },
    });
    await processor.start();
  });
  afterAll(async () => {
    await processor?.stop();
  });

  const publish = (values: readonly string[]) => publishValues(kafka, input, values);

  it('sends every output exactly once and in order, handling afresh the batches whose transaction failed', async () => {
    const batch = (from: number) => Array.from({ length: 10 }, (_, i) => `v${from + i}`);
    for (let i = 0; i < 50; i += 10) await publish(batch(i));
    await valuesAtLeast(kafka, output, 50, 'the first 50 copies');
    // Another client takes the step's transactional ids: its next transaction fails, and its records come back.
    const usurpers = [0, 1].map((turn) => kafka.producer({ ...EOS_PRODUCER, transactionalId: `${id}-${input}-0-${turn}` }));
    for (const p of usurpers) {
      await p.connect();
      await (await p.transaction()).abort();
    }
    for (let i = 50; i < 100; i += 10) await publish(batch(i));
    const out = await valuesAtLeast(kafka, output, 100, 'all 100 copies');
    await new Promise((r) => setTimeout(r, 500));
    expect(await valuesIn(kafka, output)).toEqual(Array.from({ length: 100 }, (_, i) => `v${i}`));
    expect(out).toHaveLength(100);
    // Nothing remembered what the failed transaction sent: its records were handled again.
    expect(handled.length).toBeGreaterThan(100);
    expect(new Set(handled).size).toBe(100);
    await Promise.all(usurpers.map((p) => p.disconnect().catch(() => undefined)));
  });

  it('dead-letters the record that keeps failing and retries a retriable failure until it passes, with no database to ask', async () => {
    outages = 3;
    await publish(['ok-1', 'poison', 'ok-2', 'flaky']);
    const out = await valuesAtLeast(kafka, output, 103, 'the good records copied');
    expect(out.slice(100)).toEqual(['ok-1', 'ok-2', 'flaky']);
    expect(outages).toBe(0);
    const dead = await deadLettersIn(kafka, dlq);
    expect(dead.map((m) => m.value!.toString())).toEqual(['poison']);
    expect(dead[0]!.headers?.medic_dlq_step?.toString()).toBe('ask');
    expect(dead[0]!.headers?.medic_dlq_reason?.toString()).toBe('cannot handle poison');
  });
});

/**
 * A stateless step that appends at least once (enrichment's SIEM answers):
 * its outputs go out with the idempotent producer, no transaction, and its
 * offsets are committed right after them, so a restart neither loses nor
 * repeats what was appended before it, and a record it cannot handle is
 * still dead-lettered.
 */
describe('stateless processor appending at least once', () => {
  const id = `a${randomBytes(4).toString('hex')}`;
  const input = `${id}.in`;
  const output = `${id}.out`;
  const dlq = `${id}.dlq`;
  let kafka: Kafka;
  let processor: TransactionalProcessor<number> | null = null;
  const handled: string[] = [];
  const start = async () => {
    processor = statelessStepOf(id, kafka, {
      step: 'answer',
      topics: [input],
      atLeastOnce: true,
      handle: (batches) => {
        const values = batches.flatMap((b) => b.messages.map((m) => m.value!.toString()));
        if (values.includes('poison')) return Promise.reject(new Error('cannot handle poison'));
        handled.push(...values);
        return copyTo(output)(batches);
      },
    });
    await processor.start();
  };

  beforeAll(async () => {
    kafka = await kafkaFor(id, [input, output, dlq]);
    await start();
  });
  afterAll(async () => {
    await processor?.stop();
  });

  const publish = (values: readonly string[]) => publishValues(kafka, input, values);

  const committed = () => committedOffset(kafka, `${id}-group`, input);

  it('appends every output once and in order, with its offsets committed right after it, and carries on after a restart where it left off', async () => {
    const batch = (from: number) => Array.from({ length: 10 }, (_, i) => `v${from + i}`);
    for (let i = 0; i < 30; i += 10) await publish(batch(i));
    await valuesAtLeast(kafka, output, 30, 'the first 30 answers');
    const appendedAt = Date.now();
    // Not owed for a while as a batch that sends nothing is: committed with the append.
    await eventually(async () => ((await committed()) === '30' ? true : undefined), 'the offsets committed after the append');
    expect(Date.now() - appendedAt).toBeLessThan(4_000);

    await processor!.stop();
    await publish(batch(30));
    await start();
    await valuesAtLeast(kafka, output, 40, 'the answers after the restart');
    await new Promise((r) => setTimeout(r, 500));
    expect(await valuesIn(kafka, output)).toEqual(Array.from({ length: 40 }, (_, i) => `v${i}`));
    expect(handled).toEqual(Array.from({ length: 40 }, (_, i) => `v${i}`));
  });

  it('dead-letters the record that keeps failing, and appends the others', async () => {
    await publish(['ok-1', 'poison', 'ok-2']);
    const out = await valuesAtLeast(kafka, output, 42, 'the good records appended');
    expect(out.slice(40)).toEqual(['ok-1', 'ok-2']);
    const dead = await deadLettersIn(kafka, dlq);
    expect(dead.map((m) => m.value!.toString())).toEqual(['poison']);
    expect(dead[0]!.headers?.medic_dlq_step?.toString()).toBe('answer');
    await eventually(async () => ((await committed()) === '43' ? true : undefined), 'the offsets past the poison committed');
  });
});
