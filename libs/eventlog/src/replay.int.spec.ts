import { randomBytes } from 'node:crypto';
import type { Kafka, Message } from 'kafkajs';
import type { DataSource } from 'typeorm';
import type { KillEvent } from '@medic/domain';
import { createTestDatabase, testInfra } from '@medic/testing';
import { SAMPLE_EVENTS } from '../../domain/test/kill-event-samples';
import { openDatabase } from './database';
import { newEnvelope, toKafkaMessage } from './envelope';
import { createKafka, EOS_PRODUCER, provisionTopics } from './kafka';
import { foldStepHistory } from './replay';
import { storePositions } from './step-positions';

/**
 * What a rebuild folds of a step's history, on real Kafka and Postgres: others'
 * events up to the step's position, every event of its own wherever it stands,
 * and what its committed rounds have yet to append, each once.
 */
describe('foldStepHistory', () => {
  const id = `r${randomBytes(4).toString('hex')}`;
  const topic = `${id}.kill`;
  let kafka: Kafka;
  let ds: DataSource;

  beforeAll(async () => {
    kafka = createKafka({ brokers: testInfra().brokers.split(','), clientId: id, maxWaitMs: 20, sessionTimeoutMs: 6000 });
    await provisionTopics(kafka, [topic], { partitions: 1, replicationFactor: 1 });
    ds = await openDatabase({ url: await createTestDatabase(testInfra().databaseUrl, `medic_${id}`), schema: 'svc', entities: [], ddl: [] });
  });
  afterAll(async () => {
    await ds?.destroy();
  });

  const record = (n: number, source: string): Message => {
    const event: KillEvent = { ...SAMPLE_EVENTS.CommandRejected, killId: `k-${n}`, commandId: `cmd-${n}` };
    return toKafkaMessage('kill', newEnvelope('kill', event, { source, subject: event.killId, time: event.at }));
  };

  it("folds others' events up to the step's position, all its own, and its pending outputs once", async () => {
    // Offsets 0–4: others, others, own, others (not yet read by the step), own.
    const onLog = [record(0, 'other'), record(1, 'other'), record(2, 'own'), record(3, 'other'), record(4, 'own')];
    const producer = kafka.producer(EOS_PRODUCER);
    await producer.connect();
    await producer.send({ topic, acks: -1, messages: onLog });
    await producer.disconnect();
    // The step has read up to offset 1; its last round's Kafka transaction still sends k-5, and k-4 again.
    await ds.transaction((tx) =>
      storePositions(tx, 'stepA', [
        { topic, partition: 0, lastOffset: '1', pending: [{ topic, message: record(5, 'own') }, { topic, message: onLog[4]! }, { topic: `${id}.elsewhere`, message: record(6, 'own') }] },
      ]),
    );
    // Another step's pending outputs are not this one's.
    await ds.transaction((tx) => storePositions(tx, 'stepB', [{ topic, partition: 0, lastOffset: '9', pending: [{ topic, message: record(7, 'own') }] }]));

    const folded: string[] = [];
    const result = await ds.transaction((tx) =>
      foldStepHistory({
        kafka,
        tx,
        stream: 'kill',
        topic,
        step: 'stepA',
        ownSources: ['own'],
        pendingOf: ['stepA'],
        fold: (events) => {
          folded.push(...events.map((e) => e.data.killId));
          return Promise.resolve(events.length);
        },
      }),
    );
    expect(folded).toEqual(['k-0', 'k-1', 'k-2', 'k-4', 'k-5']);
    expect(result).toEqual({ applied: 5, rejected: 0 });
  });
});
