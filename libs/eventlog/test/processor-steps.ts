import type { Kafka } from 'kafkajs';
import type { DataSource } from 'typeorm';
import { createTestDatabase, testInfra } from '@medic/testing';
import { openDatabase } from '../src/database';
import { createKafka, provisionTopics } from '../src/kafka';
import { TransactionalProcessor, type ProcessorOptions } from '../src/transactional-processor';

/** Kafka with the test's topics, and a database of the test's own, both named after `id`. */
export async function infraFor(id: string, topics: readonly string[]): Promise<{ kafka: Kafka; ds: DataSource }> {
  const kafka = createKafka({ brokers: testInfra().brokers.split(','), clientId: id, maxWaitMs: 20, sessionTimeoutMs: 6000 });
  await provisionTopics(kafka, [...topics], { partitions: 1, replicationFactor: 1 });
  const ds = await openDatabase({ url: await createTestDatabase(testInfra().databaseUrl, `medic_${id}`), schema: 'step', entities: [], ddl: [] });
  return { kafka, ds };
}

/** A step of the test `id`, with the settings the tests share. */
export function stepOf(id: string, kafka: Kafka, ds: DataSource, opts: Pick<ProcessorOptions<number>, 'step' | 'topics' | 'handle'> & Partial<ProcessorOptions<number>>): TransactionalProcessor<number> {
  return new TransactionalProcessor<number>({
    deadLetterTopic: `${id}.dlq`,
    kafka,
    dataSource: ds,
    groupId: `${id}-group`,
    transactionalIdPrefix: id,
    maxWaitMs: 20,
    sessionTimeoutMs: 6000,
    ...opts,
  });
}
