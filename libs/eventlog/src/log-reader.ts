import { randomUUID } from 'node:crypto';
import type { Admin, Kafka, KafkaMessage } from 'kafkajs';
import { whenConsumerGivenUp } from './consumer-lost';

export interface PartitionRecords {
  readonly topic: string;
  readonly partition: number;
  readonly messages: readonly KafkaMessage[];
}

export interface ReadLogOptions {
  readonly maxWaitMs?: number;
  /** Give up when the end is not reached in this time. */
  readonly timeoutMs?: number;
}

/**
 * Reads a topic from offset 0 up to its end as of the call (committed records
 * only), in order per partition, then stops. Used by replay and audit.
 */
export async function readLog(
  kafka: Kafka,
  topic: string,
  onRecords: (records: PartitionRecords) => Promise<void>,
  options: ReadLogOptions = {},
): Promise<void> {
  const ends = await endOffsets(kafka, topic);
  const pending = new Map([...ends].filter(([, end]) => end > 0n));
  if (pending.size === 0) return;

  const groupId = `medic-reader-${randomUUID()}`;
  const consumer = kafka.consumer({ groupId, maxWaitTimeInMs: options.maxWaitMs ?? 100, readUncommitted: false, allowAutoTopicCreation: false });
  let finish!: (error?: Error) => void;
  const finished = new Promise<void>((resolve, reject) => {
    finish = (error) => (error ? reject(error) : resolve());
  });
  // Awaited once the consumer runs; should it fail before that, the rejection waits for it.
  void finished.catch(() => undefined);
  const timer = setTimeout(
    () => finish(new Error(`reading ${topic} did not reach its end within ${options.timeoutMs ?? 120_000} ms (partitions left: ${[...pending.keys()].join(',')})`)),
    options.timeoutMs ?? 120_000,
  );
  try {
    // lastOffset counts transaction markers too, so a log ending in a commit marker still ends.
    const reached = (partition: number, lastOffset: string) => {
      const end = pending.get(partition);
      if (end !== undefined && BigInt(lastOffset) + 1n >= end) pending.delete(partition);
      if (pending.size === 0) finish();
    };
    // A read kafkajs gave up on fails now, not at its timeout.
    whenConsumerGivenUp(consumer, (error) => finish(error));
    await consumer.connect();
    // A batch of nothing but aborted records and markers (a log ending in a transaction a crash
    // left to be aborted) is never handed to eachBatch; its end is announced here.
    consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => {
      if (payload.topic === topic) reached(payload.partition, payload.lastOffset);
    });
    await consumer.subscribe({ topic, fromBeginning: true });
    let failed = false;
    await consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch }) => {
        const end = pending.get(batch.partition);
        if (failed || end === undefined) return;
        const messages = batch.messages.filter((m) => BigInt(m.offset) < end);
        if (messages.length > 0) {
          try {
            await onRecords({ topic, partition: batch.partition, messages });
          } catch (error) {
            // The caller's error ends the read as it is, not wrapped by kafkajs as a crash of its consumer.
            failed = true;
            finish(error instanceof Error ? error : new Error(String(error)));
            return;
          }
        }
        reached(batch.partition, batch.lastOffset());
      },
    });
    await finished;
  } finally {
    clearTimeout(timer);
    await consumer.disconnect();
    await deleteGroup(kafka, groupId);
  }
}

/** Where each partition of a topic ends (its high watermark), asked through a connected admin. */
export async function topicEnds(admin: Admin, topic: string): Promise<Map<number, bigint>> {
  return new Map((await admin.fetchTopicOffsets(topic)).map((o) => [o.partition, BigInt(o.high)]));
}

export async function endOffsets(kafka: Kafka, topic: string): Promise<Map<number, bigint>> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    return await topicEnds(admin, topic);
  } finally {
    await admin.disconnect();
  }
}

async function deleteGroup(kafka: Kafka, groupId: string): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.deleteGroups([groupId]);
  } catch {
    // A reader's group holds no offsets; leaving it behind is harmless.
  } finally {
    await admin.disconnect();
  }
}
