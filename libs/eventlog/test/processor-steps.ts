import type { Kafka } from 'kafkajs';
import type { DataSource } from 'typeorm';
import { createTestDatabase, testInfra } from '@medic/testing';
import { openDatabase } from '../src/database';
import { createKafka, provisionTopics } from '../src/kafka';
import { TransactionalProcessor, type BatchHandler, type ProcessorSettings, type StatelessBatchHandler } from '../src/transactional-processor';

/** Kafka with the test's topics, and a database of the test's own, both named after `id`. */
export async function infraFor(id: string, topics: readonly string[]): Promise<{ kafka: Kafka; ds: DataSource }> {
  const kafka = await kafkaFor(id, topics);
  const ds = await openDatabase({ url: await createTestDatabase(testInfra().databaseUrl, `medic_${id}`), schema: 'step', entities: [], ddl: [] });
  return { kafka, ds };
}

/** Kafka with the test's topics, for a step that needs no database. */
export async function kafkaFor(id: string, topics: readonly string[]): Promise<Kafka> {
  const kafka = createKafka({ brokers: testInfra().brokers.split(','), clientId: id, maxWaitMs: 20, sessionTimeoutMs: 6000 });
  await provisionTopics(kafka, [...topics], { partitions: 1, replicationFactor: 1 });
  return kafka;
}

type TestStep<H> = Pick<ProcessorSettings<number>, 'step' | 'topics'> & Partial<ProcessorSettings<number>> & { readonly handle: H };

const shared = (id: string) => ({ deadLetterTopic: `${id}.dlq`, groupId: `${id}-group`, transactionalIdPrefix: id, maxWaitMs: 20, sessionTimeoutMs: 6000 });

/** A step of the test `id`, with the settings the tests share. */
export function stepOf(id: string, kafka: Kafka, ds: DataSource, opts: TestStep<BatchHandler<number>>): TransactionalProcessor<number> {
  return new TransactionalProcessor<number>({ ...shared(id), kafka, dataSource: ds, ...opts });
}

/** A stateless step of the test `id`: no database at all. */
export function statelessStepOf(id: string, kafka: Kafka, opts: TestStep<StatelessBatchHandler<number>> & { readonly atLeastOnce?: boolean }): TransactionalProcessor<number> {
  return new TransactionalProcessor<number>({ ...shared(id), kafka, ...opts, stateless: true });
}
