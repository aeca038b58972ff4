import { randomBytes } from 'node:crypto';
import type { Kafka, KafkaMessage } from 'kafkajs';
import type { DataSource } from 'typeorm';
import { createTestDatabase, eventually, testInfra } from '@medic/testing';
import { openDatabase } from './database';
import { createKafka, EOS_PRODUCER, provisionTopics } from './kafka';
import { readLog } from './log-reader';
import { TransactionalProcessor } from './transactional-processor';

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
    kafka = createKafka({ brokers: testInfra().brokers.split(','), clientId: id, maxWaitMs: 20, sessionTimeoutMs: 6000 });
    await provisionTopics(kafka, [input, output], { partitions: 1, replicationFactor: 1 });
    ds = await openDatabase({ url: await createTestDatabase(testInfra().databaseUrl, `medic_${id}`), schema: 'step', entities: [], ddl: [] });
    processor = new TransactionalProcessor<number>({
      kafka,
      dataSource: ds,
      groupId: `${id}-group`,
      transactionalIdPrefix: id,
      topics: [input],
      maxWaitMs: 20,
      sessionTimeoutMs: 6000,
      handle: (batches) =>
        Promise.resolve(
          batches.map((batch) => ({
            outputs: [{ topic: output, messages: batch.messages.map((m) => ({ key: m.key, value: m.value })) }],
            report: batch.messages.length,
          })),
        ),
    });
    await processor.start();
  });
  afterAll(async () => {
    await processor?.stop();
    await ds?.destroy();
  });

  async function publish(from: number, count: number): Promise<void> {
    const producer = kafka.producer(EOS_PRODUCER);
    await producer.connect();
    for (let i = from; i < from + count; i += 10) {
      await producer.send({ topic: input, messages: Array.from({ length: 10 }, (_, j) => ({ key: `k${i + j}`, value: `v${i + j}` })) });
    }
    await producer.disconnect();
  }

  async function outputs(): Promise<string[]> {
    const seen: KafkaMessage[] = [];
    await readLog(kafka, output, async (r) => {
      seen.push(...r.messages);
      await Promise.resolve();
    });
    return seen.map((m) => m.key!.toString());
  }

  it('copies every record exactly once and in order, also when another client takes its transactional ids mid-stream', async () => {
    await publish(0, 100);
    await eventually(async () => ((await outputs()).length >= 100 ? true : undefined), 'the first 100 copies');

    // Another client initialises the partition's transactional ids, as a zombie or a new
    // replica would; whatever happens to the step's open transactions, nothing may be lost or repeated.
    const usurpers = [0, 1].map((turn) => kafka.producer({ ...EOS_PRODUCER, transactionalId: `${id}-${input}-0-${turn}` }));
    await Promise.all(usurpers.map((p) => p.connect()));
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
