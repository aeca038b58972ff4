import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { randomBytes } from 'node:crypto';
import { CompressionCodecs, CompressionTypes, KafkaJSNotImplemented, type Kafka } from 'kafkajs';
import type { DataSource } from 'typeorm';
import { eventually, testInfra } from '@medic/testing';
import { infraFor, stepOf } from '../test/processor-steps';
import { isXerialFramed, lz4Codec, registerCompressionCodecs, snappyCodec, zstdCodec } from './compression';
import { onLogConsumerLost } from './consumer-lost';
import { readLog } from './log-reader';
import type { ProcessorBatch, TransactionalProcessor } from './transactional-processor';

type Kcat = 'snappy' | 'lz4' | 'zstd';

/** Produces `key\tvalue` lines with kcat (librdkafka), compressed as asked. */
async function kcat(topic: string, compression: Kcat, records: readonly (readonly [string, string])[]): Promise<void> {
  const child = spawn('kcat', ['-P', '-b', testInfra().brokers, '-t', topic, '-z', compression, '-K', '\t', '-X', 'linger.ms=100'], { stdio: ['pipe', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  child.stdin.end(records.map(([k, v]) => `${k}\t${v}\n`).join(''));
  const [code] = (await once(child, 'exit')) as [number | null];
  if (code !== 0) throw new Error(`kcat -z ${compression} exited ${code}: ${stderr}`);
}

/** Values that compress well, so that no client sends them uncompressed. */
const records = (kind: string, count: number): [string, string][] =>
  Array.from({ length: count }, (_, i) => [`${kind}-${i}`, `${kind} record ${i}: ${'the same words again and again, '.repeat(40)}`]);

/** A step that only notes what each record it is handed says. */
function readingStep(id: string, kafka: Kafka, ds: DataSource, topic: string, seen: Map<string, string>): TransactionalProcessor<number> {
  return stepOf(id, kafka, ds, {
    step: 'read',
    topics: [topic],
    handle: (batches: readonly ProcessorBatch[]) => {
      for (const m of batches.flatMap((b) => b.messages)) seen.set(m.key!.toString(), m.value!.toString());
      return Promise.resolve(batches.map((b) => ({ outputs: [], report: b.messages.length })));
    },
  });
}

/**
 * Records other clients compressed (the Java client's snappy in xerial
 * framing, librdkafka's raw snappy, lz4 and zstd) reach a step and a log read
 * decoded, as gzip always did.
 */
describe('compressed records on real Kafka', () => {
  const id = `z${randomBytes(4).toString('hex')}`;
  const topic = `${id}.in`;
  const seen = new Map<string, string>();
  let kafka: Kafka;
  let ds: DataSource;
  let step: TransactionalProcessor<number>;
  const decompressed = {
    snappy: jest.spyOn(snappyCodec, 'decompress'),
    lz4: jest.spyOn(lz4Codec, 'decompress'),
    zstd: jest.spyOn(zstdCodec, 'decompress'),
  };

  beforeAll(async () => {
    ({ kafka, ds } = await infraFor(id, [topic, `${id}.dlq`]));
    step = readingStep(id, kafka, ds, topic, seen);
    await step.start();
  });
  afterAll(async () => {
    await step?.stop();
    await ds?.destroy();
    jest.restoreAllMocks();
  });

  it('hands a step every snappy, lz4 and zstd record, decoded, whichever client wrote it', async () => {
    const sent = new Map<string, string>();
    for (const kind of ['snappy', 'lz4', 'zstd'] as const) {
      const batch = records(`kcat-${kind}`, 20);
      await kcat(topic, kind, batch);
      for (const [k, v] of batch) sent.set(k, v);
    }
    // kafkajs writes snappy as the Java client does, in xerial framing (which the broker checks).
    const producer = kafka.producer();
    await producer.connect();
    try {
      const batch = records('kafkajs-snappy', 40); // over 32 KiB: more than one xerial block
      await producer.send({ topic, acks: -1, compression: CompressionTypes.Snappy, messages: batch.map(([key, value]) => ({ key, value })) });
      for (const [k, v] of batch) sent.set(k, v);
    } finally {
      await producer.disconnect();
    }

    await eventually(() => Promise.resolve(seen.size >= sent.size ? true : undefined), `all ${sent.size} records read`);
    expect(new Map([...seen].sort())).toEqual(new Map([...sent].sort()));

    // Each came compressed: the batches passed through the codecs, snappy in both framings.
    const snappyBatches = decompressed.snappy.mock.calls.map(([buffer]) => isXerialFramed(buffer));
    expect(snappyBatches).toContain(true);
    expect(snappyBatches).toContain(false);
    expect(decompressed.lz4).toHaveBeenCalled();
    expect(decompressed.zstd).toHaveBeenCalled();

    // The log reader (replay, audit) reads them too.
    const read = new Map<string, string>();
    await readLog(kafka, topic, (r) => {
      for (const m of r.messages) read.set(m.key!.toString(), m.value!.toString());
      return Promise.resolve();
    });
    expect(new Map([...read].sort())).toEqual(new Map([...sent].sort()));
  });
});

/**
 * A consumer kafkajs gives up on for good, as it did on the first lz4 batch
 * before the codecs were registered: the process hears of it (a service then
 * stops, to be restarted), and a log read fails at once.
 */
describe('a consumer kafkajs gives up on', () => {
  const id = `y${randomBytes(4).toString('hex')}`;
  const topic = `${id}.in`;
  const lost: Error[] = [];
  let kafka: Kafka;
  let ds: DataSource;
  let step: TransactionalProcessor<number>;

  beforeAll(async () => {
    ({ kafka, ds } = await infraFor(id, [topic, `${id}.dlq`]));
    // kafkajs' own entry, as it was before Medic registered its codecs (its types leave out the message).
    const NotImplemented = KafkaJSNotImplemented as unknown as new (message: string) => Error;
    CompressionCodecs[CompressionTypes.LZ4] = () => {
      throw new NotImplemented('LZ4 compression not implemented');
    };
    onLogConsumerLost((error) => lost.push(error));
    await kcat(topic, 'lz4', records('lz4', 5));
  });
  afterAll(async () => {
    onLogConsumerLost(null);
    registerCompressionCodecs();
    await step?.stop();
    await ds?.destroy();
  });

  it('is reported to the process', async () => {
    step = readingStep(id, kafka, ds, topic, new Map());
    await step.start();
    const [error] = await eventually(() => Promise.resolve(lost.length > 0 ? lost : undefined), 'the lost consumer reported');
    expect(error).toMatchObject({ name: 'KafkaJSNotImplemented', message: 'LZ4 compression not implemented' });
  });

  it('fails a log read at once, not at its timeout', async () => {
    const started = Date.now();
    await expect(readLog(kafka, topic, () => Promise.resolve(), { timeoutMs: 60_000 })).rejects.toThrow('LZ4 compression not implemented');
    expect(Date.now() - started).toBeLessThan(30_000);
  });
});
