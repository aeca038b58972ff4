import { setTimeout as delay } from 'node:timers/promises';
import type { Consumer, Kafka, KafkaMessage, Producer } from 'kafkajs';
import type { Registry } from 'prom-client';
import type { DataSource, EntityManager } from 'typeorm';
import { counter, Logger } from '@medic/observability';
import { watchLogConsumer } from './consumer-lost';
import { deadLetter, isInfrastructureError, type RejectedRecord } from './dead-letters';
import { failedCount, FailureStreaks, messageOf } from './failure-streak';
import { EOS_PRODUCER, logConsumerConfig } from './kafka';
import { CatchUp } from './catch-up';
import { RecordSpans } from './record-spans';
import { slotKey } from './step-positions';
import { advanceOffset, applyRecordsToAll, ProjectionOffset, refoldIfChanged, storedOffset, type AnyProjection, type RawRecords } from './projection';

export interface ProjectionRunnerOptions {
  readonly kafka: Kafka;
  readonly dataSource: DataSource;
  /** Names the runner in dead letters, logs and metrics, e.g. `gateway`. */
  readonly step: string;
  /** The projections of `topic` this runner keeps, each with its own positions. */
  readonly projections: readonly AnyProjection[];
  readonly topic: string;
  /** Where records a projection cannot handle go (medic.dlq.internal); null only for the dead-letter topic itself. */
  readonly deadLetterTopic: string | null;
  /** The consumer group only spreads partitions over replicas; positions live in Postgres. */
  readonly groupId: string;
  readonly maxWaitMs: number;
  readonly sessionTimeoutMs: number;
  /** How often a batch failing for a non-retriable reason is tried whole before its records are tried one by one (default 3). */
  readonly maxAttempts?: number;
  readonly metrics?: { readonly registry: Registry };
  readonly logger?: Logger;
}

/**
 * Keeps projections of one topic up to date: rows and offsets in one Postgres
 * transaction per batch. A retriable failure (Postgres or the broker away) is
 * retried with backoff and nothing is skipped; a record that keeps failing
 * otherwise is dead-lettered with the reason and the partition flows on.
 */
export class ProjectionRunner {
  private readonly consumer: Consumer;
  private readonly producer: Producer | null;
  private readonly logger: Logger;
  /** Each partition's current run of failed attempts, told in the log without repeating itself. */
  private readonly streaks = new FailureStreaks();
  private readonly applied?: (projection: string, n: number) => void;
  private readonly dead?: (code: string) => void;
  private stopping = false;

  constructor(private readonly opts: ProjectionRunnerOptions) {
    this.logger = opts.logger ?? new Logger(`medic.projection.${opts.step}`);
    this.consumer = opts.kafka.consumer(logConsumerConfig(opts.groupId, opts.maxWaitMs, opts.sessionTimeoutMs));
    watchLogConsumer(this.consumer, this.logger, { step: opts.step, group: opts.groupId, topic: opts.topic });
    this.producer = opts.deadLetterTopic ? opts.kafka.producer(EOS_PRODUCER) : null;
    if (opts.metrics) {
      const applied = counter(opts.metrics.registry, 'medic_projection_events_applied_total', 'Events folded into a projection', ['projection']);
      const dead = counter(opts.metrics.registry, 'medic_dead_letters_total', 'Records a step could not handle, written to medic.dlq.internal', ['step', 'code']);
      this.applied = (projection, n) => applied.inc({ projection }, n);
      this.dead = (code) => dead.inc({ step: opts.step, code });
    }
  }

  async start(): Promise<void> {
    const { topic } = this.opts;
    this.stopping = false;
    for (const projection of this.opts.projections) {
      if (await refoldIfChanged(this.opts.dataSource, projection)) {
        this.logger.info('projection changed since its rows were written; folding it again from the start of the log', { projection: projection.name, version: projection.version ?? 1 });
      }
    }
    await this.producer?.connect();
    await this.consumer.connect();
    this.consumer.on(this.consumer.events.GROUP_JOIN, ({ payload }) => {
      const partitions = payload.memberAssignment[topic] ?? [];
      void this.seekToStored(partitions).catch((error: unknown) =>
        this.logger.error('could not seek to stored offsets; records already applied will be skipped', { error }),
      );
    });
    await this.consumer.subscribe({ topic, fromBeginning: true });
    await this.consumer.run({
      autoCommit: false,
      partitionsConsumedConcurrently: 1,
      eachBatch: async (payload) => {
        const { batch } = payload;
        if (batch.messages.length === 0) return;
        await this.applyWithRetries({ topic: batch.topic, partition: batch.partition, messages: batch.messages }, () => payload.heartbeat());
      },
    });
  }

  async stop(): Promise<void> {
    this.stopping = true;
    await this.consumer.disconnect();
    await this.producer?.disconnect();
  }

  private async applyWithRetries(records: RawRecords, heartbeat: () => Promise<void>): Promise<void> {
    const maxAttempts = this.opts.maxAttempts ?? 3;
    let failures = 0;
    // One span per record, over every attempt: the records' trace shows when they were applied.
    const spans = new RecordSpans(this.opts.step, this.opts.groupId);
    const slot = slotKey(records.topic, records.partition);
    spans.begin(records.topic, records.partition, records.messages);
    for (let attempt = 1; ; attempt++) {
      try {
        const oneByOne = failures >= maxAttempts;
        if (oneByOne) this.logger.warn('a batch kept failing; applying its records one by one', { step: this.opts.step, topic: records.topic, partition: records.partition });
        const { applied, rejected } = await this.opts.dataSource.transaction(async (tx) => {
          const result = oneByOne ? await this.applyOneByOne(tx, records) : await this.applyAll(tx, records);
          // Before the commit: should the commit fail, the batch comes again and so may its dead letters, but none is lost.
          await this.sendDeadLetters(records, result.rejected, attempt);
          return result;
        });
        for (const [projection, n] of applied) if (n > 0) this.applied?.(projection, n);
        spans.end(records.topic, records.partition, undefined, rejected);
        const recovered = this.streaks.succeeded(slot, Date.now());
        if (recovered) {
          const context = { step: this.opts.step, topic: records.topic, partition: records.partition, failed_attempts: recovered.failures, seconds: recovered.seconds };
          this.logger.info(`projections recovered after ${failedCount(recovered.failures, 'attempt')} in ${recovered.seconds} s`, context);
        }
        return;
      } catch (error) {
        if (this.stopping) {
          spans.fail(error);
          throw error;
        }
        const infrastructure = await this.isInfrastructure(error);
        if (!infrastructure) failures++;
        const run = this.streaks.failed(slot, messageOf(error), Date.now());
        if (run.tell !== null) {
          const what = infrastructure ? 'projection store or broker unavailable' : 'applying a batch failed';
          const how = { first: '', changed: ', now for another reason', again: `, still (${run.failures} failed attempts so far)` }[run.tell];
          this.logger.warn(`${what}${how}; retrying`, {
            step: this.opts.step,
            topic: records.topic,
            partition: records.partition,
            attempt,
            failed_attempts: run.failures,
            failing_since: new Date(run.since).toISOString(),
            error,
          });
        }
        await delay(Math.min(5_000, 50 * 2 ** Math.min(attempt, 7)));
        await heartbeat();
      }
    }
  }

  private async applyAll(tx: EntityManager, records: RawRecords): Promise<{ applied: Map<string, number>; rejected: RejectedRecord[] }> {
    const applied = new Map<string, number>();
    const rejected = new Map<string, RejectedRecord>();
    for (const [name, result] of await applyRecordsToAll(tx, this.opts.projections, records)) {
      applied.set(name, result.applied);
      for (const r of result.rejected) if (!rejected.has(r.offset)) rejected.set(r.offset, r);
    }
    return { applied, rejected: [...rejected.values()] };
  }

  /** Each record behind a savepoint; one that still fails is rejected and every projection moves past it. */
  private async applyOneByOne(tx: EntityManager, records: RawRecords): Promise<{ applied: Map<string, number>; rejected: RejectedRecord[] }> {
    const applied = new Map<string, number>();
    const rejected: RejectedRecord[] = [];
    for (const message of records.messages) {
      await tx.query('SAVEPOINT medic_projection_record');
      try {
        const one = await this.applyAll(tx, { ...records, messages: [message] });
        await tx.query('RELEASE SAVEPOINT medic_projection_record');
        for (const [name, n] of one.applied) applied.set(name, (applied.get(name) ?? 0) + n);
        rejected.push(...one.rejected);
      } catch (error) {
        await tx.query('ROLLBACK TO SAVEPOINT medic_projection_record');
        if (await this.isInfrastructure(error)) throw error;
        // The projections that had yet to fold it (a projection folding the log again may be alone in that) left it out.
        const undone: string[] = [];
        for (const p of this.opts.projections) {
          const done = await storedOffset(tx, p.name, records.topic, records.partition);
          if (done === null || done < BigInt(message.offset)) undone.push(`${p.name}@${p.version ?? 1}`);
          await advanceOffset(tx, p.name, records.topic, records.partition, message.offset);
        }
        rejected.push({ offset: message.offset, code: 'projection_failed', reason: messageOf(error), rolledBack: undone.join(',') });
      }
    }
    return { applied, rejected };
  }

  private async sendDeadLetters(records: RawRecords, rejected: readonly RejectedRecord[], attempts: number): Promise<void> {
    if (rejected.length === 0) return;
    const byOffset = new Map<string, KafkaMessage>(records.messages.map((m) => [m.offset, m]));
    const at = new Date();
    for (const r of rejected) this.logger.warn('record dead-lettered', { step: this.opts.step, topic: records.topic, partition: records.partition, offset: r.offset, code: r.code, reason: r.reason });
    if (this.producer && this.opts.deadLetterTopic) {
      const messages = rejected.flatMap((r) => {
        const message = byOffset.get(r.offset);
        return message ? [deadLetter(this.opts.step, { topic: records.topic, partition: records.partition, message }, r, attempts, at)] : [];
      });
      await this.producer.send({ topic: this.opts.deadLetterTopic, acks: -1, messages });
    }
    for (const r of rejected) this.dead?.(r.code);
  }

  private isInfrastructure(error: unknown): Promise<boolean> {
    return isInfrastructureError(error, this.opts.dataSource);
  }

  /**
   * Waits, for at most `timeoutMs`, until every projection of the runner has
   * folded its topic as far as the log reached when this was called, and
   * says whether they did: for work that must weigh all the log held before
   * it acts (an analysis right after a restart), not only what this replica
   * has folded so far (see `CatchUp`).
   */
  async foldedToEnd(timeoutMs: number): Promise<boolean> {
    const catchUp = new CatchUp(this.opts.kafka, [{ topics: [this.opts.topic], position: () => this.folded() }]);
    try {
      return await catchUp.within(timeoutMs);
    } finally {
      await catchUp.close();
    }
  }

  /** By partition, the offset after the one every projection has folded. */
  private async folded(): Promise<Map<string, bigint>> {
    const { topic, projections, dataSource } = this.opts;
    const rows = await dataSource.getRepository(ProjectionOffset).findBy({ topic });
    const folded = new Map<string, bigint>();
    for (const partition of new Set(rows.map((r) => r.partition))) {
      const offsets = projections.map((p) => rows.find((r) => r.projection === p.name && r.partition === partition)?.offset);
      // A projection that has not read the partition yet needs it from the start.
      if (offsets.some((o) => o === undefined)) continue;
      const lowest = offsets.map((o) => BigInt(o!)).reduce((min, o) => (o < min ? o : min));
      folded.set(slotKey(topic, partition), lowest + 1n);
    }
    return folded;
  }

  /** Starts each assigned partition after the position every projection has reached; one a projection has not read yet, from its start. */
  private async seekToStored(partitions: readonly number[]): Promise<void> {
    const { topic } = this.opts;
    const folded = await this.folded();
    for (const partition of partitions) {
      const next = folded.get(slotKey(topic, partition));
      if (next !== undefined) this.consumer.seek({ topic, partition, offset: next.toString() });
    }
  }
}
