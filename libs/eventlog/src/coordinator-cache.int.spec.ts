import { randomBytes } from 'node:crypto';
import { Kafka, logLevel } from 'kafkajs';
import { testInfra } from '@medic/testing';
import { coordinatorCacheInstalled } from './coordinator-cache';
import { createKafka, EOS_PRODUCER, provisionTopics } from './kafka';

/**
 * Counts the FindCoordinator requests a transactional producer sends over
 * `transactions` consume–produce style transactions: after the first two, and in all.
 */
async function lookupsFor(kafka: Kafka, topic: string, transactions: number): Promise<{ afterTwo: number; total: number }> {
  const producer = kafka.producer({ ...EOS_PRODUCER, transactionalId: `${topic}-${randomBytes(3).toString('hex')}` });
  let lookups = 0;
  let afterTwo = 0;
  producer.on(producer.events.REQUEST, (e) => {
    // kafkajs names FindCoordinator by its old name.
    if (e.payload.apiName === 'GroupCoordinator') lookups += 1;
  });
  await producer.connect();
  try {
    for (let i = 0; i < transactions; i++) {
      const txn = await producer.transaction();
      await txn.send({ topic, messages: [{ key: `k${i}`, value: `v${i}` }], acks: -1 });
      await txn.sendOffsets({ consumerGroupId: `${topic}-group`, topics: [{ topic, partitions: [{ partition: 0, offset: String(i + 1) }] }] });
      await txn.commit();
      if (i === 1) afterTwo = lookups;
    }
  } finally {
    await producer.disconnect();
  }
  return { afterTwo, total: lookups };
}

describe('coordinator lookups on real Kafka', () => {
  const topic = `c${randomBytes(4).toString('hex')}`;
  const brokers = testInfra().brokers.split(',');

  beforeAll(async () => {
    await provisionTopics(createKafka({ brokers, clientId: topic, maxWaitMs: 20, sessionTimeoutMs: 6000 }), [topic], { partitions: 1, replicationFactor: 1 });
  });

  it('costs a transaction no FindCoordinator round trip once the coordinators are known', async () => {
    const kafka = createKafka({ brokers, clientId: topic, maxWaitMs: 20, sessionTimeoutMs: 6000 });
    expect(coordinatorCacheInstalled(kafka)).toBe(true);
    // The transaction and group coordinators are looked up while the first transactions run
    // (a lookup may be retried while a new id's coordinator loads); later ones ask nothing.
    const { afterTwo, total } = await lookupsFor(kafka, topic, 20);
    expect(afterTwo).toBeGreaterThanOrEqual(2);
    expect(total).toBe(afterTwo);
  });

  it('is needed: plain kafkajs asks before every step of every transaction', async () => {
    const plain = new Kafka({ clientId: topic, brokers, logLevel: logLevel.NOTHING });
    const { afterTwo, total } = await lookupsFor(plain, topic, 20);
    expect(total - afterTwo).toBeGreaterThanOrEqual(18 * 4);
  });
});
