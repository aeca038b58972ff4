// Proves the stack from global setup is usable the way Medic uses it: plain produce/consume,
// Kafka transactions read back under read_committed, and SQL on Postgres.
import { randomUUID } from 'node:crypto';
import { Kafka, logLevel, Partitioners, type Admin, type Consumer, type Producer } from 'kafkajs';
import { Client } from 'pg';
import { waitFor } from './wait';

function requiredEnv(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run through jest's int project (its global setup starts the stack)`);
  return value;
}

const kafka = new Kafka({ clientId: 'devstack-int', brokers: [requiredEnv('MEDIC_TEST_KAFKA_BROKERS')], logLevel: logLevel.NOTHING });
const unique = (prefix: string) => `devstack-int-${prefix}-${randomUUID()}`;

/** Consumes `topic` from the start in a fresh group (read_committed); `received` fills as values arrive. */
async function consumeAll(topic: string): Promise<{ consumer: Consumer; received: string[] }> {
  // A short fetch wait so disconnect does not sit out a 5 s long poll.
  const consumer = kafka.consumer({ groupId: unique('group'), readUncommitted: false, maxWaitTimeInMs: 100 });
  const received: string[] = [];
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    eachMessage: ({ message }) => {
      received.push(message.value?.toString() ?? '');
      return Promise.resolve();
    },
  });
  return { consumer, received };
}

function until(condition: () => boolean, what: string): Promise<void> {
  return waitFor(() => (condition() ? Promise.resolve() : Promise.reject(new Error(what))), {
    timeoutMs: 30_000,
    intervalMs: 50,
    onTimeout: () => new Error(`timed out waiting for ${what}`),
  });
}

describe('devstack Kafka', () => {
  const topic = unique('topic');
  let admin: Admin;
  const clients: Array<Producer | Consumer> = [];

  beforeAll(async () => {
    admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
  });

  afterAll(async () => {
    await Promise.allSettled(clients.map((client) => client.disconnect()));
    await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
    await admin.disconnect();
  });

  it('delivers a produced message to a consumer', async () => {
    const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
    clients.push(producer);
    await producer.connect();
    await producer.send({ topic, messages: [{ value: 'plain' }] });

    const { consumer, received } = await consumeAll(topic);
    clients.push(consumer);
    await until(() => received.includes('plain'), 'the plain message');
  });

  it('shows committed transactions, never aborted ones, to a read_committed consumer', async () => {
    const producer = kafka.producer({ transactionalId: unique('tx'), idempotent: true, maxInFlightRequests: 1, createPartitioner: Partitioners.DefaultPartitioner });
    clients.push(producer);
    await producer.connect();
    const aborted = await producer.transaction();
    await aborted.send({ topic, messages: [{ value: 'aborted' }] });
    await aborted.abort();
    const committed = await producer.transaction();
    await committed.send({ topic, messages: [{ value: 'committed' }] });
    await committed.commit();

    const { consumer, received } = await consumeAll(topic);
    clients.push(consumer);
    // 'committed' follows 'aborted' in the log, so once it arrives 'aborted' was skipped, not late.
    await until(() => received.includes('committed'), 'the committed message');
    expect(received).not.toContain('aborted');
  });
});

describe('devstack Postgres', () => {
  const schema = `devstack_int_${randomUUID().replaceAll('-', '')}`;
  const client = new Client({ connectionString: requiredEnv('MEDIC_TEST_DATABASE_URL') });

  beforeAll(() => client.connect());

  afterAll(async () => {
    await client.query(`drop schema if exists ${schema} cascade`);
    await client.end();
  });

  it('runs SQL in a schema of its own', async () => {
    await client.query(`create schema ${schema}`);
    await client.query(`create table ${schema}.note (id int primary key, body text not null)`);
    await client.query(`insert into ${schema}.note (id, body) values ($1, $2)`, [1, 'hello']);

    const { rows } = await client.query<{ body: string }>(`select body from ${schema}.note where id = $1`, [1]);

    expect(rows).toEqual([{ body: 'hello' }]);
  });
});
