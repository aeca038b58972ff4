import { randomBytes } from 'node:crypto';
import { Kafka, logLevel, type Producer } from 'kafkajs';
import { testInfra } from '@medic/testing';
import { createKafka, EOS_PRODUCER, provisionTopics } from './kafka';

interface Aborted {
  readonly producerId: string;
  readonly firstOffset: string;
}

// The lists of aborted transactions the broker sent with each fetch, as kafkajs's (patched) filter got them.
const listsSeen: Aborted[][] = [];
jest.mock('kafkajs/src/consumer/filterAbortedMessages', () => {
  const filter = jest.requireActual<(args: { abortedTransactions?: Aborted[] }) => unknown>('kafkajs/src/consumer/filterAbortedMessages');
  return (args: { abortedTransactions?: Aborted[] }) => {
    if (args.abortedTransactions?.length) listsSeen.push([...args.abortedTransactions]);
    return filter(args);
  };
});

/** Every value a read_committed (or read_uncommitted) consumer of this client reads from the topic's start, until `count` came or a few seconds passed. */
async function readCommitted(kafka: Kafka, topic: string, count: number, readUncommitted = false): Promise<string[]> {
  const consumer = kafka.consumer({ groupId: `${topic}-${randomBytes(3).toString('hex')}`, readUncommitted, maxWaitTimeInMs: 50 });
  const values: string[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    let done: () => void = () => undefined;
    const enough = new Promise<void>((resolve) => (done = resolve));
    await consumer.run({
      eachMessage: ({ message }) => {
        values.push(message.value!.toString());
        if (values.length >= count) done();
        return Promise.resolve();
      },
    });
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([enough, new Promise((resolve) => (timer = setTimeout(resolve, 8_000)))]);
    clearTimeout(timer);
    // What else is there comes in the same fetches: a moment more lets a wrongly delivered record show.
    await new Promise((resolve) => setTimeout(resolve, 500));
  } finally {
    await consumer.disconnect();
  }
  return values;
}

describe('aborted transactions on real Kafka', () => {
  const topic = `a${randomBytes(4).toString('hex')}`;
  const brokers = testInfra().brokers.split(',');
  const kafka = createKafka({ brokers, clientId: topic, maxWaitMs: 20, sessionTimeoutMs: 6000 });
  const producers: Producer[] = [];
  const producer = async (id: string) => {
    const p = kafka.producer({ ...EOS_PRODUCER, transactionalId: `${topic}-${id}` });
    await p.connect();
    producers.push(p);
    return p;
  };

  beforeAll(async () => {
    await provisionTopics(kafka, [topic, `${topic}-elsewhere`], { partitions: 1, replicationFactor: 1 });
    // Two producers of one partition abort, the one that began later first: the broker lists
    // their transactions by where they ended, not by where they began.
    const [a, b, c] = [await producer('a'), await producer('b'), await producer('c')];
    const ta = await a.transaction();
    await ta.send({ topic, messages: [{ key: 'k', value: 'rolled back: a' }], acks: -1 });
    const tb = await b.transaction();
    await tb.send({ topic, messages: [{ key: 'k', value: 'rolled back: b' }], acks: -1 });
    await tb.abort();
    // The coordinator writes the abort markers after it has answered. b's next transaction can add a
    // partition only once they are written: then a aborts, its marker after b's.
    const next = await b.transaction();
    await next.send({ topic: `${topic}-elsewhere`, messages: [{ value: 'elsewhere' }], acks: -1 });
    await next.abort();
    await ta.abort();
    const tc = await c.transaction();
    await tc.send({ topic, messages: [{ key: 'k', value: 'committed' }], acks: -1 });
    await tc.commit();
  });

  afterAll(async () => {
    await Promise.all(producers.map((p) => p.disconnect()));
  });

  it("reads only what was committed through Medic's client", async () => {
    expect(await readCommitted(kafka, topic, 1)).toEqual(['committed']);
    // The broker listed the two aborted transactions by where they ended, b's (begun later) first:
    // the order released kafkajs misread, handing out a's record.
    const firstOffsets = listsSeen.map((list) => list.map((t) => Number(t.firstOffset)));
    expect(firstOffsets).toContainEqual([1, 0]);
  });

  it('reads only what was committed through a plain kafkajs client, and the rolled-back records are in the log', async () => {
    const plain = new Kafka({ clientId: topic, brokers, logLevel: logLevel.NOTHING });
    expect(await readCommitted(plain, topic, 1)).toEqual(['committed']);
    expect(await readCommitted(plain, topic, 3, true)).toEqual(['rolled back: a', 'rolled back: b', 'committed']);
  });
});
