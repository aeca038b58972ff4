import type { Batch, Consumer, Kafka, Message, Producer } from 'kafkajs';
import type { DataSource, EntityManager } from 'typeorm';
import { Logger } from '@medic/observability';

/** Records a step wants to append, by topic. */
export interface Output {
  readonly topic: string;
  readonly messages: readonly Message[];
}

export interface ProcessorBatch {
  readonly topic: string;
  readonly partition: number;
  readonly messages: Batch['messages'];
}

/**
 * One event-to-event step. `handle` runs inside a Postgres transaction that
 * commits before the Kafka transaction; a handler must therefore treat a record
 * it has already stored under the same topic/partition/offset as a redelivery
 * (the earlier Kafka transaction did not commit) and produce its output again.
 */
export type BatchHandler = (batch: ProcessorBatch, tx: EntityManager) => Promise<readonly Output[]>;

export interface ProcessorOptions {
  readonly kafka: Kafka;
  readonly dataSource: DataSource;
  readonly groupId: string;
  /** Stable per instance: a restarted instance fences its predecessor's open transaction. */
  readonly transactionalId: string;
  readonly topics: readonly string[];
  readonly maxWaitMs: number;
  readonly sessionTimeoutMs: number;
  readonly handle: BatchHandler;
  readonly logger?: Logger;
  /** Called after each committed batch (metrics, tests). */
  readonly onCommitted?: (batch: ProcessorBatch, outputs: readonly Output[]) => void;
}

/**
 * Consume–transform–produce with Kafka transactions: the outputs of a batch and
 * the consumed offsets commit atomically, so a crash neither loses nor repeats
 * output. Consumers of the outputs read with isolation read_committed.
 */
export class TransactionalProcessor {
  private readonly consumer: Consumer;
  private readonly producer: Producer;
  private readonly logger: Logger;

  constructor(private readonly opts: ProcessorOptions) {
    this.logger = opts.logger ?? new Logger('medic.processor');
    this.consumer = opts.kafka.consumer({
      groupId: opts.groupId,
      maxWaitTimeInMs: opts.maxWaitMs,
      sessionTimeout: opts.sessionTimeoutMs,
      heartbeatInterval: Math.max(500, Math.floor(opts.sessionTimeoutMs / 5)),
      readUncommitted: false,
      allowAutoTopicCreation: false,
    });
    this.producer = opts.kafka.producer({
      transactionalId: opts.transactionalId,
      idempotent: true,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: false,
    });
  }

  async start(): Promise<void> {
    await this.producer.connect();
    await this.consumer.connect();
    for (const topic of this.opts.topics) await this.consumer.subscribe({ topic, fromBeginning: true });
    await this.consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: 1,
      eachBatch: async (payload) => {
        const { batch } = payload;
        if (batch.messages.length === 0 || !payload.isRunning() || payload.isStale()) return;
        const unit: ProcessorBatch = { topic: batch.topic, partition: batch.partition, messages: batch.messages };
        const outputs = await this.opts.dataSource.transaction((tx) => this.opts.handle(unit, tx));
        await this.commit(unit, outputs);
        payload.resolveOffset(batch.lastOffset());
        await payload.heartbeat();
        this.opts.onCommitted?.(unit, outputs);
      },
    });
  }

  async stop(): Promise<void> {
    await this.consumer.disconnect();
    await this.producer.disconnect();
  }

  private async commit(batch: ProcessorBatch, outputs: readonly Output[]): Promise<void> {
    const last = batch.messages[batch.messages.length - 1]!;
    const txn = await this.producer.transaction();
    try {
      for (const out of outputs) {
        if (out.messages.length > 0) await txn.send({ topic: out.topic, messages: [...out.messages], acks: -1 });
      }
      await txn.sendOffsets({
        consumerGroupId: this.opts.groupId,
        topics: [{ topic: batch.topic, partitions: [{ partition: batch.partition, offset: (BigInt(last.offset) + 1n).toString() }] }],
      });
      await txn.commit();
    } catch (error) {
      this.logger.error('kafka transaction failed; aborting, the batch will be redelivered', { error, topic: batch.topic, partition: batch.partition });
      await txn.abort().catch(() => undefined);
      throw error;
    }
  }
}
