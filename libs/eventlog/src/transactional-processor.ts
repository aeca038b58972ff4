import { setTimeout as delay } from 'node:timers/promises';
import type { Batch, Consumer, Kafka, Message, Producer } from 'kafkajs';
import type { DataSource, EntityManager } from 'typeorm';
import { Logger } from '@medic/observability';
import type { Registry } from 'prom-client';
import { chunkMessages } from './chunks';
import { EOS_PRODUCER, logConsumerConfig } from './kafka';
import { processorMetrics } from './processor-metrics';

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

/** What a step made of a batch: records to append, and a report for after the commit (logs, metrics). */
export interface StepResult<R> {
  readonly outputs: readonly Output[];
  readonly report: R;
}

/**
 * One event-to-event step, given a round: the batches of the partitions one
 * fetch returned, at most one per partition. It returns one result per batch,
 * in the same order; each batch's outputs are committed with that partition's
 * offsets. It runs inside one Postgres transaction that commits before the
 * Kafka transactions, so a handler must treat a record it has already stored
 * under the same topic/partition/offset as a redelivery (the earlier Kafka
 * transaction did not commit) and produce its output again.
 */
export type BatchHandler<R> = (batches: readonly ProcessorBatch[], tx: EntityManager) => Promise<readonly StepResult<R>[]>;

export interface BatchTimings {
  /** The handler and its Postgres transaction (shared with the other partitions of its round). */
  readonly handleMs: number;
  /** The Kafka transaction: outputs, offsets, commit. */
  readonly commitMs: number;
}

export interface ProcessorOptions<R> {
  readonly kafka: Kafka;
  readonly dataSource: DataSource;
  readonly groupId: string;
  /**
   * Prefix of the transactional ids. Each input partition gets its own
   * transactional producers (`<prefix>-<topic>-<partition>-<0|1>`), so partitions
   * commit in parallel and whoever processes a partition next — a restarted
   * instance or another replica — fences the transaction its predecessor left open.
   */
  readonly transactionalIdPrefix: string;
  /** How many partitions are processed at once (default: all that a fetch returned). */
  readonly concurrency?: number;
  /**
   * Held for the duration of each round's Postgres transaction, when the handler
   * reads state shared across partitions (e.g. an hourly budget) that parallel
   * batches must not both spend.
   */
  readonly serializeHandling?: string;
  readonly topics: readonly string[];
  readonly maxWaitMs: number;
  readonly sessionTimeoutMs: number;
  readonly handle: BatchHandler<R>;
  readonly logger?: Logger;
  /**
   * Only records this says yes to are handed to `handle`; a batch with none of
   * them costs no transaction (its position is committed with a later batch).
   */
  readonly relevant?: (message: Batch['messages'][number]) => boolean;
  /** Called once a batch's outputs are committed, with the handler's report and how long each stage took. */
  readonly onCommitted?: (report: R, batch: ProcessorBatch, timings: BatchTimings) => void;
  /** Where to record each batch's stage timings and size (medic_step_batch_*), under this step's name. */
  readonly metrics?: { readonly registry: Registry; readonly step: string };
}

/** More partitions than one instance of a step is ever given. */
const MAX_PARTITIONS_AT_ONCE = 64;

interface RoundEntry<R> {
  readonly batch: ProcessorBatch;
  readonly lastOffset: string;
  resolve(value: { report: R; timings: BatchTimings }): void;
  reject(error: unknown): void;
}

/**
 * Consume–transform–produce with Kafka transactions: the outputs of a batch and
 * the consumed offsets commit atomically, so a crash neither loses nor repeats
 * output. Consumers of the outputs read with isolation read_committed.
 */
export class TransactionalProcessor<R = void> {
  private readonly consumer: Consumer;
  private readonly producers = new Map<string, Promise<Producer>>();
  /** Which of a partition's two producers commits next. */
  private readonly turns = new Map<string, number>();
  private readonly logger: Logger;
  private readonly observe: ((batch: ProcessorBatch, timings: BatchTimings) => void) | null;
  /** Batches waiting for the next round. */
  private round: RoundEntry<R>[] = [];

  constructor(private readonly opts: ProcessorOptions<R>) {
    this.logger = opts.logger ?? new Logger('medic.processor');
    this.observe = opts.metrics ? processorMetrics(opts.metrics.registry, opts.metrics.step) : null;
    this.consumer = opts.kafka.consumer(logConsumerConfig(opts.groupId, opts.maxWaitMs, opts.sessionTimeoutMs));
  }

  async start(): Promise<void> {
    // Fence every partition's transactional ids as soon as the partition is ours, not at its
    // first batch: a predecessor killed mid-transaction leaves that transaction open, and until
    // it is aborted no read_committed reader sees past it. A step that reads its own output
    // topic would otherwise wait for the broker's transaction timeout before its first batch.
    this.consumer.on(this.consumer.events.GROUP_JOIN, ({ payload }) => {
      for (const [topic, partitions] of Object.entries(payload.memberAssignment)) {
        for (const partition of partitions) void this.fence(topic, partition);
      }
    });
    await this.consumer.connect();
    for (const topic of this.opts.topics) await this.consumer.subscribe({ topic, fromBeginning: true });
    await this.consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      // Every partition of a fetch is handed over at once, to be handled together.
      partitionsConsumedConcurrently: this.opts.concurrency ?? MAX_PARTITIONS_AT_ONCE,
      eachBatch: async (payload) => {
        const { batch } = payload;
        if (batch.messages.length === 0 || !payload.isRunning() || payload.isStale()) return;
        const relevant = this.opts.relevant;
        const messages = relevant ? batch.messages.filter(relevant) : batch.messages;
        if (messages.length === 0) {
          payload.resolveOffset(batch.lastOffset());
          return;
        }
        // The offsets committed are those of the whole batch, skipped records included.
        const unit: ProcessorBatch = { topic: batch.topic, partition: batch.partition, messages };
        let done: { report: R; timings: BatchTimings };
        try {
          done = await this.process(unit, batch.messages[batch.messages.length - 1]!.offset);
        } catch (error) {
          this.logger.error('step failed; its partitions start again from their committed offsets', { error, topic: batch.topic, partition: batch.partition });
          throw new RoundFailed(error);
        }
        const { report, timings } = done;
        payload.resolveOffset(batch.lastOffset());
        await payload.heartbeat();
        this.observe?.(unit, timings);
        this.opts.onCommitted?.(report, unit, timings);
      },
    });
  }

  /**
   * Queues a partition's batch for the next round. kafkajs hands over the
   * batches of one fetch together, so a round usually holds every partition
   * that had records: one Postgres transaction handles them all, then each
   * partition's Kafka transaction commits, in parallel.
   */
  private process(batch: ProcessorBatch, lastOffset: string): Promise<{ report: R; timings: BatchTimings }> {
    return new Promise((resolve, reject) => {
      this.round.push({ batch, lastOffset, resolve, reject });
      if (this.round.length === 1) setImmediate(() => void this.runRound());
    });
  }

  private async runRound(): Promise<void> {
    const round = this.round.splice(0);
    const started = performance.now();
    let results: readonly StepResult<R>[];
    try {
      results = await this.opts.dataSource.transaction(async (tx) => {
        if (this.opts.serializeHandling) await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', [this.opts.serializeHandling]);
        const out = await this.opts.handle(
          round.map((entry) => entry.batch),
          tx,
        );
        if (out.length !== round.length) throw new Error(`step returned ${out.length} results for ${round.length} batches`);
        return out;
      });
    } catch (error) {
      for (const entry of round) entry.reject(error);
      return;
    }
    const handleMs = performance.now() - started;
    await Promise.all(
      round.map(async (entry, i) => {
        const committing = performance.now();
        try {
          await this.commit(entry.batch, results[i]!.outputs, entry.lastOffset);
          entry.resolve({ report: results[i]!.report, timings: { handleMs, commitMs: performance.now() - committing } });
        } catch (error) {
          entry.reject(error);
        }
      }),
    );
  }

  async stop(): Promise<void> {
    await this.consumer.disconnect();
    const producers = await Promise.allSettled(this.producers.values());
    this.producers.clear();
    await Promise.all(producers.flatMap((p) => (p.status === 'fulfilled' ? [p.value.disconnect()] : [])));
  }

  /**
   * The partition's next transactional producer. A partition has two and takes
   * turns: the broker refuses a new transaction on an id until the previous
   * commit's markers are written, and the other id is free meanwhile. A
   * partition's batches still commit one after another, so the log keeps their
   * order. Both are connected together when the partition is assigned (see
   * `start`) or at its first batch, which fences both ids at once: a
   * predecessor's open transaction on either is aborted right away instead of
   * holding back read_committed consumers until it times out.
   */
  private async producerFor(topic: string, partition: number): Promise<Producer> {
    const slot = `${topic}-${partition}`;
    const turn = this.turns.get(slot) ?? 0;
    this.turns.set(slot, 1 - turn);
    const pair = [0, 1].map((t) => this.connected(`${slot}-${t}`));
    await Promise.all(pair);
    return pair[turn]!;
  }

  private async fence(topic: string, partition: number): Promise<void> {
    try {
      await Promise.all([0, 1].map((turn) => this.connected(`${topic}-${partition}-${turn}`)));
    } catch (error) {
      // The partition's first batch connects them again, and fails visibly if it still cannot.
      this.logger.warn('could not take the transactional ids of a newly assigned partition', { error, topic, partition });
    }
  }

  private forgetProducers(topic: string, partition: number): void {
    for (const turn of [0, 1]) {
      const key = `${topic}-${partition}-${turn}`;
      const producer = this.producers.get(key);
      this.producers.delete(key);
      void producer?.then((p) => p.disconnect()).catch(() => undefined);
    }
  }

  /**
   * The producer of a transactional id, connected and holding the id: kafkajs
   * only claims the id (InitProducerId, which fences the id's previous holder
   * and aborts its open transaction) when a first transaction begins, so an
   * empty one is begun and dropped here, which sends nothing else.
   */
  private connected(key: string): Promise<Producer> {
    let producer = this.producers.get(key);
    if (!producer) {
      const created = this.opts.kafka.producer({ ...EOS_PRODUCER, transactionalId: `${this.opts.transactionalIdPrefix}-${key}` });
      producer = (async () => {
        try {
          await created.connect();
          await (await created.transaction()).abort();
          return created;
        } catch (error) {
          await created.disconnect().catch(() => undefined);
          throw error;
        }
      })();
      void producer.catch(() => this.producers.delete(key));
      this.producers.set(key, producer);
    }
    return producer;
  }


  /**
   * Retries a transaction that failed for a passing reason before its commit was
   * sent (e.g. the coordinator still finishing the previous one). A failure at
   * the commit itself is ambiguous and is thrown instead: the consumer restarts
   * from the committed offsets, which were committed if and only if the outputs were.
   */
  private async commit(batch: ProcessorBatch, outputs: readonly Output[], lastOffset: string): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await this.commitOnce(batch, outputs, lastOffset);
        return;
      } catch (error) {
        const passing = error instanceof BeforeCommitError && (error.cause as { retriable?: boolean }).retriable === true;
        if (!passing || attempt >= 10) {
          // A producer in an unknown transaction state (fenced, timed out) cannot be reused: the
          // redelivered batch connects fresh ones, which also fence whatever holds these ids.
          this.forgetProducers(batch.topic, batch.partition);
          throw error instanceof BeforeCommitError ? error.cause : error;
        }
        await delay(Math.min(1000, 10 * 2 ** attempt));
      }
    }
  }

  private async commitOnce(batch: ProcessorBatch, outputs: readonly Output[], lastOffset: string): Promise<void> {
    const producer = await this.producerFor(batch.topic, batch.partition);
    const txn = await producer.transaction();
    try {
      for (const out of outputs) {
        for (const messages of chunkMessages(out.messages)) await txn.send({ topic: out.topic, messages, acks: -1 });
      }
      await txn.sendOffsets({
        consumerGroupId: this.opts.groupId,
        topics: [{ topic: batch.topic, partitions: [{ partition: batch.partition, offset: (BigInt(lastOffset) + 1n).toString() }] }],
      });
    } catch (error) {
      this.logger.warn('kafka transaction failed before commit; aborted', { error, topic: batch.topic, partition: batch.partition });
      await txn.abort().catch(() => undefined);
      throw new BeforeCommitError(error);
    }
    await txn.commit();
  }
}

/**
 * What a failed round throws to kafkajs. kafkajs gives up on a consumer for
 * good when the error it sees (or that error's `cause`) is not retriable, as a
 * fenced producer's is: the step would stop and its service stay up doing
 * nothing. This one is always retriable and keeps the failure out of `cause`,
 * so kafkajs fetches again from the committed offsets, and reconnects after
 * repeated failures, as exactly-once processing expects.
 */
class RoundFailed extends Error {
  readonly retriable = true;
  constructor(readonly failure: unknown) {
    super(`step failed: ${failure instanceof Error ? failure.message : String(failure)}`);
  }
}

class BeforeCommitError extends Error {
  constructor(cause: unknown) {
    super('transaction failed before commit', { cause });
  }
}
