import { randomBytes } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import type { Kafka } from 'kafkajs';
import type { DataSource } from 'typeorm';
import { eventually } from '@medic/testing';
import { infraFor, stepOf } from '../test/processor-steps';
import { CatchUp } from './catch-up';
import { DurableTimers, type TimersAfter } from './durable-timers';
import { EOS_PRODUCER } from './kafka';
import type { ProcessorBatch, TransactionalProcessor } from './transactional-processor';

/**
 * Timers after a restart, on real Kafka and Postgres: none fires before the
 * step it acts for has read what the log held when the timers started (the
 * records it handles, those it passes by, and commit markers at the end), and
 * a step that never gets there holds them back only for a while.
 */
describe('timers waiting for their step to read the log', () => {
  const id = `c${randomBytes(4).toString('hex')}`;
  const input = `${id}.in`;
  let kafka: Kafka;
  let ds: DataSource;
  const started: { stop(): Promise<void> }[] = [];

  beforeAll(async () => {
    ({ kafka, ds } = await infraFor(id, [input, `${id}.dlq`]));
    await ds.query(`CREATE TABLE alarms (alarm_id text PRIMARY KEY, due_at timestamptz NOT NULL, claimed_until timestamptz, firings int NOT NULL DEFAULT 0)`);
  });
  afterAll(async () => {
    for (const s of started.reverse()) await s.stop();
    await ds?.destroy();
  });

  /** A step that takes a while over each round, handling `keep` records and passing the others by. */
  function slowStep(handled: string[]): TransactionalProcessor<number> {
    return stepOf(id, kafka, ds, {
      step: 'slow',
      topics: [input],
      relevant: (m) => m.value?.toString() !== 'skip',
      handle: async (batches: readonly ProcessorBatch[]) => {
        await delay(300);
        handled.push(...batches.flatMap((b) => b.messages.map((m) => m.value!.toString())));
        return batches.map((b) => ({ outputs: [], report: b.messages.length }));
      },
    });
  }

  async function sendAll(values: readonly string[], transactional: boolean): Promise<void> {
    const producer = kafka.producer(transactional ? { ...EOS_PRODUCER, transactionalId: `${id}-${randomBytes(3).toString('hex')}` } : EOS_PRODUCER);
    await producer.connect();
    try {
      for (let i = 0; i < values.length; i += 20) {
        const messages = values.slice(i, i + 20).map((value, j) => ({ key: `k${i + j}`, value }));
        if (!transactional) await producer.send({ topic: input, acks: -1, messages });
        else {
          const txn = await producer.transaction();
          await txn.send({ topic: input, acks: -1, messages });
          await txn.commit();
        }
      }
    } finally {
      await producer.disconnect();
    }
  }

  const alarm = async (name: string): Promise<void> => {
    await ds.query(`INSERT INTO alarms (alarm_id, due_at) VALUES ($1, now() - interval '1 second')`, [name]);
  };

  /** The alarms' timers, started, waiting for `after`; each firing is told to `fired`. */
  function startTimers(after: TimersAfter, fired: (rows: readonly { alarm_id: string }[]) => void): DurableTimers<{ alarm_id: string }> {
    const timers = new DurableTimers<{ alarm_id: string }>({
      name: 'test.alarms',
      dataSource: ds,
      table: 'alarms',
      key: 'alarm_id',
      pollMs: 20,
      leaseMs: 60_000,
      after,
      onClaim: (rows) => Promise.resolve(fired(rows)),
    });
    timers.start();
    started.push(timers);
    return timers;
  }

  it('fires a due timer only once its step has read the backlog, passed-by records and a closing commit marker included', async () => {
    // The backlog that came in while the service was down: records to handle, records the step passes by, and a
    // last transaction, whose commit marker ends the partition.
    await sendAll(Array.from({ length: 100 }, (_, i) => `v${i}`), false);
    await sendAll(Array.from({ length: 40 }, () => 'skip'), false);
    await sendAll(['last-1', 'last-2'], true);
    await alarm('after-outage');

    const handled: string[] = [];
    const step = slowStep(handled);
    const firedWith: number[] = [];
    // The timers start first, as after a restart: the step has read nothing yet.
    const timers = startTimers({ kafka, readers: () => [step.progress()] }, () => void firedWith.push(handled.length));
    await delay(1_000);
    expect(firedWith).toEqual([]);
    await step.start();
    try {
      await eventually(() => Promise.resolve(firedWith.length > 0 ? true : undefined), 'the timer fired', 60_000);
    } finally {
      await step.stop();
      await timers.stop();
    }
    // Everything the log held when the timers started was handled before the timer fired.
    expect(firedWith).toEqual([102]);
    expect(handled.slice(-2)).toEqual(['last-1', 'last-2']);
  });

  it('says how far the log was read, and a step that never reads it holds its timers back only for a while', async () => {
    await sendAll(['unread'], false);
    const handled: string[] = [];
    // Built, never started: it reads nothing.
    const idle = slowStep(handled);
    const look = new CatchUp(kafka, [idle.progress()]);
    try {
      expect(await look.within(1_500)).toBe(false);
    } finally {
      await look.close();
    }

    await alarm('held-back');
    const fired: string[] = [];
    const since = performance.now();
    startTimers({ kafka, readers: () => [idle.progress()], maxWaitMs: 1_500 }, (rows) => void fired.push(...rows.map((r) => r.alarm_id)));
    await eventually(() => Promise.resolve(fired.includes('held-back') ? true : undefined), 'the timer fired anyway', 30_000);
    expect(performance.now() - since).toBeGreaterThanOrEqual(1_400);
    expect(handled).toEqual([]);
  });
});
