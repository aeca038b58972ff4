import { setTimeout as delay } from 'node:timers/promises';
import type { Batch, Consumer, EachBatchPayload, Kafka, Message, Producer } from 'kafkajs';
import type { DataSource, EntityManager } from 'typeorm';
import { Logger } from '@medic/observability';
import type { Registry } from 'prom-client';
import type { LogProgress } from './catch-up';
import { chunkMessages } from './chunks';
import { watchLogConsumer } from './consumer-lost';
import { deadLetter, isInfrastructureError, isRetriable, type RejectedRecord } from './dead-letters';
import { EOS_PRODUCER, logConsumerConfig } from './kafka';
import { failedCount, FailureStreaks, messageOf, ROUND_FAILED_PREFIX } from './failure-streak';
import { processorMetrics } from './processor-metrics';
import { RecordSpans } from './record-spans';
import { loadPending, loadPositions, slotKey, storePositions, type PendingOutput, type StepPosition, type StoredPosition } from './step-positions';

/** How often a member still busy with a round tells the group it is alive (kafkajs sends at most one per heartbeatInterval). */
const HEARTBEAT_DURING_ROUND_MS = 1_000;
/** How long a partition ahead of its log waits before it is looked at again. */
const STALL_RECHECK_MS = 30_000;
/**
 * How far behind the step's own position (in Postgres) a partition's consumed
 * offsets in Kafka may lag while its rounds send nothing: they are committed
 * at the first batch after this long. A restart fetches again from the
 * committed offsets, and the stored position marks what came back as handled.
 */
const OWED_COMMIT_MS = 5_000;
/** What a gathering step's fetch waits for at most (see `gatherMs`). */
const GATHER_BYTES = 1 << 20;

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
  /**
   * Records of the batch the step cannot handle (undecodable, an illegal
   * transition…): the kit dead-letters them with the reason, in the same
   * Kafka transaction, and the partition flows on.
   */
  readonly rejected?: readonly RejectedRecord[];
}

/**
 * One event-to-event step, given a round: the batches of the partitions one
 * fetch returned, at most one per partition. It returns one result per batch,
 * in the same order; each batch's outputs are committed with that partition's
 * offsets. It runs inside one Postgres transaction that commits before the
 * Kafka transactions. A handler sees each record once: when a Kafka
 * transaction fails after its Postgres transaction committed, the kit sends
 * the stored outputs again instead of handing the records over twice.
 */
export type BatchHandler<R> = (batches: readonly ProcessorBatch[], tx: EntityManager) => Promise<readonly StepResult<R>[]>;

/**
 * A step that keeps nothing between rounds (it asks the outside world and
 * appends what it learnt): the Kafka transaction alone makes it exactly once.
 * It needs no Postgres transaction, and no position of its own: a batch
 * whose Kafka transaction failed comes back from the committed offsets and is
 * handled afresh, and what the failed transaction sent was never visible to
 * read_committed readers.
 */
export type StatelessBatchHandler<R> = (batches: readonly ProcessorBatch[]) => Promise<readonly StepResult<R>[]>;

/** How a step handles a round: within a Postgres transaction that keeps its state and position, or (stateless) within none. */
export type StepHandling<R> =
  | { readonly stateless?: false; readonly dataSource: DataSource; readonly handle: BatchHandler<R> }
  | {
      readonly stateless: true;
      readonly handle: StatelessBatchHandler<R>;
      /**
       * For a step that records what it learnt from the outside world (a
       * SIEM's answer), whose readers take a second record of the same thing
       * as harmless: its outputs are appended with the idempotent producer,
       * outside any transaction, and the batch's offsets committed right
       * after them. A kill's record is then in the log one round trip after
       * the step has it, not a transaction's five requests later; a batch
       * redelivered before its offsets were committed (a crash, a rebalance)
       * is handled and appended again.
       */
      readonly atLeastOnce?: boolean;
    };

export interface BatchTimings {
  /** The handler and its Postgres transaction (shared with the other partitions of its round). */
  readonly handleMs: number;
  /** The Kafka transaction: outputs, offsets, commit; null when the batch sent nothing and needed none. */
  readonly commitMs: number | null;
}

export interface ProcessorSettings<R> {
  /** The step's name: its positions in Postgres, its dead letters and metrics go by it. */
  readonly step: string;
  /** Where records the step cannot handle go (medic.dlq.internal). */
  readonly deadLetterTopic: string;
  /** How often a round failing for a non-retriable reason is tried whole before its records are tried one by one (default 3). */
  readonly maxAttempts?: number;
  readonly kafka: Kafka;
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
  /**
   * For a step nothing waits on (a write-back to the outside world): the
   * broker holds each fetch this long to gather a bigger round, unless a
   * round's worth (1 MiB) comes in sooner. Fewer, bigger rounds cost the
   * broker, Postgres and the outside world far less than prompt small ones.
   */
  readonly gatherMs?: number;
  readonly sessionTimeoutMs: number;
  readonly logger?: Logger;
  /**
   * Only records this says yes to are handed to `handle`; a batch with none of
   * them costs no transaction (its offset is committed with a later batch, or
   * on its own after a while: see `owe`).
   */
  readonly relevant?: (message: Batch['messages'][number], topic: string) => boolean;
  /** Called once a batch's outputs are committed, with the handler's reports and how long each stage took. */
  readonly onCommitted?: (report: R, batch: ProcessorBatch, timings: BatchTimings) => void;
  /** Where to record each batch's stage timings and size (medic_step_batch_*) and dead letters, under the step's name. */
  readonly metrics?: { readonly registry: Registry };
}

export type ProcessorOptions<R> = ProcessorSettings<R> & StepHandling<R>;

/** More partitions than one instance of a step is ever given. */
const MAX_PARTITIONS_AT_ONCE = 64;

interface RoundEntry<R> {
  readonly batch: ProcessorBatch;
  readonly lastOffset: string;
  /** The partition's high watermark when the batch was fetched: where its log ends. */
  readonly logEnd: string;
  resolve(value: Committed<R>): void;
  reject(error: unknown): void;
}

interface Committed<R> {
  readonly reports: readonly R[];
  readonly timings: BatchTimings;
  readonly deadLetters: readonly RejectedRecord[];
  /** Set when the stored outputs ran past this batch: the consumer continues after them. */
  readonly resumeAt: string | null;
  /** Set when the stored position lies beyond the end of the log: nothing was handled or sent. */
  readonly aheadOfLog: string | null;
  /** Set when the batch sent nothing: its position is in Postgres, and its offset is still to be committed to Kafka. */
  readonly owed: string | null;
}

/** What a round decided for one partition: what its Kafka transaction sends and up to where it commits. */
interface Plan<R> {
  readonly sends: readonly PendingOutput[];
  readonly commitThrough: string;
  readonly reports: readonly R[];
  readonly deadLetters: readonly RejectedRecord[];
  readonly resumeAt: string | null;
  /** The stored position, when it lies beyond the end of the partition's log: nothing to send or commit. */
  readonly aheadOfLog: string | null;
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
  private readonly observe: ReturnType<typeof processorMetrics> | null;
  /** Each partition's current run of failed rounds, told in the log without repeating itself. */
  private readonly streaks = new FailureStreaks();
  /** Batches waiting for the next round. */
  private round: RoundEntry<R>[] = [];
  /** Non-retriable failures of a partition's batch, by where the batch starts. */
  private readonly failures = new Map<string, number>();
  /** Partitions whose stored position lies beyond the end of their log, stopped (see `stalled`). */
  private readonly stalledLogged = new Map<string, string>();
  private readonly rechecks = new Map<string, NodeJS.Timeout>();
  private readonly stalledAt = new Map<string, { readonly topic: string; readonly partition: number; readonly stored: string; readonly logEnd: string }>();
  /**
   * Partitions whose consumed offsets Kafka does not have yet: through which
   * offset, owed since when, and the commit due if the partition stays idle
   * (see `owe`). Then the idle commits under way.
   */
  private readonly owed = new Map<string, { readonly topic: string; readonly partition: number; lastOffset: string; since: number; readonly idle: NodeJS.Timeout }>();
  private readonly owedCommits = new Map<string, Promise<void>>();
  /** Partitions with a batch being handled. */
  private readonly busy = new Set<string>();
  /**
   * By partition, the offset after the last this member has handled (or
   * passed by): read, though Kafka may not have its offsets yet (see `progress`).
   */
  private readonly readThrough = new Map<string, bigint>();
  /** The idempotent producer of an at-least-once step, connected at its first output. */
  private appender: Promise<Producer> | null = null;

  constructor(private readonly opts: ProcessorOptions<R>) {
    this.logger = opts.logger ?? new Logger('medic.processor');
    this.observe = opts.metrics ? processorMetrics(opts.metrics.registry, opts.step) : null;
    const consumer = logConsumerConfig(opts.groupId, opts.gatherMs ?? opts.maxWaitMs, opts.sessionTimeoutMs);
    this.consumer = opts.kafka.consumer(opts.gatherMs === undefined ? consumer : { ...consumer, minBytes: GATHER_BYTES });
    watchLogConsumer(this.consumer, this.logger, { step: opts.step, group: opts.groupId });
  }

  async start(): Promise<void> {
    // Fence every partition's transactional ids as soon as the partition is ours, not at its
    // first batch: a predecessor killed mid-transaction leaves that transaction open, and until
    // it is aborted no read_committed reader sees past it. A step that reads its own output
    // topic would otherwise wait for the broker's transaction timeout before its first batch.
    this.consumer.on(this.consumer.events.GROUP_JOIN, ({ payload }) => {
      // A new generation: offsets owed under the last one are not this member's to commit any more
      // (a partition may now be another's, further on). Partitions kept are fetched again from
      // their committed offsets, and owe again.
      for (const key of [...this.owed.keys()]) this.paid(key);
      for (const [topic, partitions] of Object.entries(payload.memberAssignment)) {
        for (const partition of partitions) void this.fence(topic, partition);
      }
    });
    // A fetch of nothing but commit markers or aborted records never reaches `eachBatch`: kafkajs passes it by.
    this.consumer.on(this.consumer.events.END_BATCH_PROCESS, ({ payload }) => {
      if (payload.batchSize === 0) this.read(slotKey(payload.topic, payload.partition), payload.lastOffset);
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
        const key = slotKey(batch.topic, batch.partition);
        this.busy.add(key);
        try {
          // An idle partition's owed offsets being committed land before anything this batch commits.
          await this.owedCommits.get(key);
          await this.handleBatch(payload, key);
        } finally {
          this.busy.delete(key);
        }
      },
    });
  }

  /** One batch of a partition: handled in a round, committed, its offsets resolved or owed. */
  private async handleBatch(payload: EachBatchPayload, slot: string): Promise<void> {
    const { batch } = payload;
    const relevant = this.opts.relevant;
    const messages = relevant ? batch.messages.filter((m) => relevant(m, batch.topic)) : batch.messages;
    if (messages.length === 0) {
      payload.resolveOffset(batch.lastOffset());
      await this.owe(batch.topic, batch.partition, batch.lastOffset());
      this.read(slot, batch.lastOffset());
      return;
    }
    // The offsets committed are those of the whole batch, skipped records included.
    const unit: ProcessorBatch = { topic: batch.topic, partition: batch.partition, messages };
    let done: Committed<R>;
    // A round may wait on the outside world (a container engine starting a burst of modules):
    // the member keeps its place in the group meanwhile, instead of being evicted and redoing it.
    const beating = setInterval(() => void payload.heartbeat().catch(() => undefined), HEARTBEAT_DURING_ROUND_MS);
    try {
      done = await this.process(unit, batch.lastOffset(), batch.highWatermark);
    } catch (error) {
      this.observe?.failed();
      const run = this.streaks.failed(slot, messageOf(error), Date.now());
      if (run.tell !== null) {
        const context = { error, step: this.opts.step, topic: batch.topic, partition: batch.partition, failed_rounds: run.failures, failing_since: new Date(run.since).toISOString() };
        const what = { first: 'step failed', changed: 'step still failing, now for another reason', again: `step still failing (${run.failures} failed rounds so far)` }[run.tell];
        this.logger.error(`${what}; its partitions start again from their committed offsets`, context);
      }
      throw new RoundFailed(error);
    } finally {
      clearInterval(beating);
    }
    const recovered = this.streaks.succeeded(slot, Date.now());
    if (recovered) {
      const context = { step: this.opts.step, topic: batch.topic, partition: batch.partition, failed_rounds: recovered.failures, seconds: recovered.seconds };
      this.logger.info(`step recovered after ${failedCount(recovered.failures, 'round')} in ${recovered.seconds} s`, context);
    }
    const { reports, timings, deadLetters, resumeAt } = done;
    payload.resolveOffset(batch.lastOffset());
    if (done.aheadOfLog !== null) {
      this.stall(batch.topic, batch.partition, done.aheadOfLog, batch.highWatermark);
      return;
    }
    if (resumeAt !== null) this.consumer.seek({ topic: batch.topic, partition: batch.partition, offset: resumeAt });
    if (done.owed === null) this.paid(slot);
    else await this.owe(batch.topic, batch.partition, done.owed);
    this.read(slot, batch.lastOffset());
    await payload.heartbeat();
    this.observe?.batch(unit, timings, deadLetters);
    for (const d of deadLetters) this.logger.warn('record dead-lettered', { step: this.opts.step, topic: batch.topic, partition: batch.partition, offset: d.offset, code: d.code, reason: d.reason });
    for (const report of reports) this.opts.onCommitted?.(report, unit, timings);
  }

  /**
   * How far the step has read its topics, for `CatchUp`: the group's
   * committed offsets (every replica's), and what this member has handled
   * beyond them. Work that acts on the step's state at a later time (durable
   * timers) waits for it after a start, instead of acting on a state older
   * than the log.
   */
  progress(): LogProgress {
    return { topics: this.opts.topics, groupId: this.opts.groupId, position: () => Promise.resolve(this.readThrough) };
  }

  private read(slot: string, lastOffset: string): void {
    const next = BigInt(lastOffset) + 1n;
    if (next > (this.readThrough.get(slot) ?? 0n)) this.readThrough.set(slot, next);
  }

  /**
   * Partitions stopped because the step's database says it handled records that
   * their log does not hold: the database belongs to another Kafka cluster, or
   * the log was deleted and made again. Nothing is skipped, handled twice or
   * sent again: the partition is paused, and looked at again every 30 s, until
   * an operator points the step at this cluster's database (or drops its
   * schema); it would otherwise seek past the end of its log forever.
   */
  stalled(): readonly { readonly topic: string; readonly partition: number; readonly stored: string; readonly logEnd: string }[] {
    return [...this.stalledAt.values()];
  }

  /**
   * A batch that sends nothing (a projection's, a write to the outside world
   * that is idempotent, records the step passes by) needs no Kafka
   * transaction: its position is the one stored in Postgres, and the broker
   * is spared a transaction that would commit nothing but offsets. (A
   * stateless step stores none: what it handled since its last commit is
   * handled again after a restart, which its idempotent writes allow.) Its offset
   * is committed to Kafka, outside any transaction, once the partition has
   * owed one for `OWED_COMMIT_MS`: by its next batch then, or on its own if
   * none comes, so that the group's lag as Kafka tools show it comes back to
   * zero. The partition's transactions and these commits come one after
   * another (an idle partition's commit is awaited before its next batch),
   * and the group coordinator keeps the offset appended last, so the
   * committed offset never moves back.
   */
  private async owe(topic: string, partition: number, lastOffset: string): Promise<void> {
    const key = slotKey(topic, partition);
    const owed = this.owed.get(key);
    if (owed === undefined) {
      this.owed.set(key, { topic, partition, lastOffset, since: performance.now(), idle: this.commitWhenIdle(key) });
      return;
    }
    owed.lastOffset = lastOffset;
    if (performance.now() - owed.since >= OWED_COMMIT_MS) await this.commitOwed(key);
  }

  /** The owed offsets are committed `OWED_COMMIT_MS` from now, unless a batch of the partition is being handled then (it sees to them). */
  private commitWhenIdle(key: string): NodeJS.Timeout {
    const timer = setTimeout(() => {
      if (this.busy.has(key) || !this.owed.has(key)) return;
      const committing = this.commitOwed(key).finally(() => this.owedCommits.delete(key));
      this.owedCommits.set(key, committing);
    }, OWED_COMMIT_MS);
    timer.unref();
    return timer;
  }

  private async commitOwed(key: string): Promise<void> {
    const owed = this.owed.get(key);
    if (owed === undefined) return;
    const { topic, partition, lastOffset } = owed;
    try {
      await this.consumer.commitOffsets([{ topic, partition, offset: nextOffset(lastOffset) }]);
      // A later batch that owes again (or pays) has moved on: only what was committed is settled.
      if (this.owed.get(key)?.lastOffset === lastOffset) this.paid(key);
    } catch (error) {
      // A rebalance under way, or the group left: whoever holds the partition next starts from its stored position.
      const still = this.owed.get(key);
      if (still !== undefined) still.since = performance.now();
      this.logger.warn('could not commit consumed offsets; the step\'s stored position keeps its place', { error, step: this.opts.step, topic, partition });
    }
  }

  /** The partition's offsets are in Kafka, with a transaction or without. */
  private paid(key: string): void {
    clearTimeout(this.owed.get(key)?.idle);
    this.owed.delete(key);
  }

  private stall(topic: string, partition: number, stored: string, logEnd: string): void {
    const key = `${topic}/${partition}`;
    const known = this.stalledLogged.get(key);
    if (known !== stored) {
      this.stalledLogged.set(key, stored);
      this.logger.error(
        `step ${this.opts.step}: its database says ${topic} partition ${partition} was handled through offset ${stored}, but that log ends at ${logEnd}; ` +
          'the database belongs to another Kafka cluster, or the log was deleted. The partition is stopped: point DATABASE_URL at this cluster\'s database, or drop the step\'s schema to start it afresh',
        { step: this.opts.step, topic, partition, stored_offset: stored, log_end: logEnd },
      );
    }
    this.stalledAt.set(key, { topic, partition, stored, logEnd });
    this.consumer.pause([{ topic, partitions: [partition] }]);
    // Looked at again later: a new partition leader may briefly report a lower high watermark.
    if (this.rechecks.has(key)) return;
    const recheck = setTimeout(() => {
      this.rechecks.delete(key);
      this.stalledAt.delete(key);
      this.consumer.resume([{ topic, partitions: [partition] }]);
    }, STALL_RECHECK_MS);
    recheck.unref();
    this.rechecks.set(key, recheck);
  }

  /**
   * Queues a partition's batch for the next round. kafkajs hands over the
   * batches of one fetch together, so a round usually holds every partition
   * that had records: one Postgres transaction handles them all, then each
   * partition's Kafka transaction commits, in parallel.
   */
  private process(batch: ProcessorBatch, lastOffset: string, logEnd: string): Promise<Committed<R>> {
    return new Promise((resolve, reject) => {
      this.round.push({ batch, lastOffset, logEnd, resolve, reject });
      if (this.round.length === 1) setImmediate(() => void this.runRound());
    });
  }

  private async runRound(): Promise<void> {
    const round = this.round.splice(0);
    const started = performance.now();
    const spans = new RecordSpans(this.opts.step, this.opts.groupId);
    let plans: readonly Plan<R>[];
    const opts = this.opts;
    try {
      plans = opts.stateless
        ? await this.plan(round, null, spans)
        : await opts.dataSource.transaction(async (tx) => {
            if (opts.serializeHandling) await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', [opts.serializeHandling]);
            return this.plan(round, tx, spans);
          });
    } catch (error) {
      spans.fail(error);
      for (const entry of round) entry.reject(error);
      return;
    }
    const handleMs = performance.now() - started;
    await Promise.all(
      round.map(async (entry, i) => {
        const committing = performance.now();
        const plan = plans[i]!;
        try {
          const sending = plan.aheadOfLog === null && plan.sends.length > 0;
          // An at-least-once step's offsets still owed when their commit after the append failed.
          let owed = plan.aheadOfLog === null && !sending;
          if (sending && opts.stateless && opts.atLeastOnce) owed = !(await this.appendThenCommit(entry.batch, plan.sends, plan.commitThrough));
          else if (sending) await this.commit(entry.batch, plan.sends, plan.commitThrough);
          spans.end(entry.batch.topic, entry.batch.partition, undefined, plan.deadLetters);
          this.forgetFailures(entry.batch);
          entry.resolve({
            reports: plan.reports,
            deadLetters: plan.deadLetters,
            resumeAt: plan.resumeAt,
            aheadOfLog: plan.aheadOfLog,
            owed: owed ? plan.commitThrough : null,
            timings: { handleMs, commitMs: sending ? performance.now() - committing : null },
          });
        } catch (error) {
          spans.end(entry.batch.topic, entry.batch.partition, error);
          entry.reject(error);
        }
      }),
    );
  }

  /**
   * Inside the round's Postgres transaction: sorts each batch's records into
   * those already handled (their Kafka transaction failed: send its stored
   * records again) and fresh ones, hands the fresh ones to the step, and
   * stores what each partition's Kafka transaction is about to send. A
   * stateless step (no transaction) has no position of its own: every record
   * it is given is fresh.
   */
  private async plan(round: readonly RoundEntry<R>[], tx: EntityManager | null, spans: RecordSpans): Promise<Plan<R>[]> {
    const positions = tx === null ? new Map<string, StoredPosition>() : await loadPositions(tx, this.opts.step, round.map((e) => e.batch));
    const parts = round.map((entry) => {
      const stored = positions.get(slotKey(entry.batch.topic, entry.batch.partition));
      const done = stored ? BigInt(stored.lastOffset) : -1n;
      // A position at or past the log's end was not made on this log: handle nothing, send nothing.
      if (done >= BigInt(entry.logEnd)) return { entry, stored, redelivered: false, ahead: true, fresh: { ...entry.batch, messages: [] } };
      const fresh = entry.batch.messages.filter((m) => BigInt(m.offset) > done);
      const redelivered = stored !== undefined && fresh.length < entry.batch.messages.length;
      return { entry, stored, redelivered, ahead: false, fresh: { ...entry.batch, messages: fresh } };
    });
    // Only a partition whose records came back after a failed Kafka transaction needs what that transaction sent.
    const redelivered = parts.filter((p) => p.redelivered).map((p) => p.entry.batch);
    const pending = tx === null ? new Map<string, StepPosition>() : await loadPending(tx, this.opts.step, redelivered);
    const results = await this.handleFresh(
      parts.map((p) => p.fresh),
      tx,
      spans,
    );
    const plans = parts.map(({ entry, stored, redelivered, ahead }, i): Plan<R> => {
      const result = results[i]!;
      if (ahead) return { sends: [], commitThrough: stored!.lastOffset, reports: [], deadLetters: [], resumeAt: null, aheadOfLog: stored!.lastOffset };
      const replayed = redelivered ? pendingOf(pending, stored!) : [];
      const sends = [...replayed, ...result.outputs.flatMap((o) => o.messages.map((message) => ({ topic: o.topic, message }))), ...this.deadLetters(entry.batch, result.rejected)];
      // Stored outputs may run past a shorter redelivered batch: commit through them and resume after.
      const storedEnd = redelivered ? BigInt(stored!.lastOffset) : -1n;
      const beyond = storedEnd > BigInt(entry.lastOffset);
      return {
        sends,
        commitThrough: beyond ? stored!.lastOffset : entry.lastOffset,
        reports: result.reports,
        deadLetters: result.rejected,
        resumeAt: beyond ? (storedEnd + 1n).toString() : null,
        aheadOfLog: null,
      };
    });
    // A partition ahead of its log keeps its stored position and outputs as they were.
    const stored: StepPosition[] = plans.flatMap((plan, i) =>
      plan.aheadOfLog !== null ? [] : [{ topic: round[i]!.batch.topic, partition: round[i]!.batch.partition, lastOffset: plan.commitThrough, pending: plan.sends }],
    );
    if (tx !== null) await storePositions(tx, this.opts.step, stored);
    return plans;
  }

  /**
   * The step's results for the fresh records. A retriable failure (Postgres or
   * the broker unreachable) fails the round, to be retried with backoff and
   * never skipped. Any other failure fails it too, a few times; after that the
   * round's records are tried one by one, each behind a savepoint, and those
   * that still fail are dead-lettered.
   */
  private async handleFresh(batches: readonly ProcessorBatch[], tx: EntityManager | null, spans: RecordSpans): Promise<{ outputs: Output[]; reports: R[]; rejected: RejectedRecord[] }[]> {
    const empty = () => ({ outputs: [] as Output[], reports: [] as R[], rejected: [] as RejectedRecord[] });
    const nonEmpty = batches.filter((b) => b.messages.length > 0);
    if (nonEmpty.length === 0) return batches.map(empty);
    if (!this.exhausted(nonEmpty)) {
      let out: readonly StepResult<R>[];
      try {
        out = await this.handleWithin(tx, nonEmpty, spans);
      } catch (error) {
        if (!(await this.isInfrastructure(error))) this.countFailure(nonEmpty);
        throw error;
      }
      let next = 0;
      return batches.map((b) => {
        if (b.messages.length === 0) return empty();
        const r = out[next++]!;
        return { outputs: [...r.outputs], reports: [r.report], rejected: [...(r.rejected ?? [])] };
      });
    }
    this.logger.warn('a round kept failing; trying its records one by one', { step: this.opts.step });
    const results = [];
    for (const batch of batches) {
      const result = empty();
      for (const message of batch.messages) {
        await tx?.query('SAVEPOINT medic_record');
        try {
          const [r] = await this.handleWithin(tx, [{ ...batch, messages: [message] }], spans);
          await tx?.query('RELEASE SAVEPOINT medic_record');
          result.outputs.push(...r!.outputs);
          result.reports.push(r!.report);
          result.rejected.push(...(r!.rejected ?? []));
        } catch (error) {
          await tx?.query('ROLLBACK TO SAVEPOINT medic_record');
          if (await this.isInfrastructure(error)) throw error;
          // Nothing of the record is kept: a rebuild of the step's state leaves it out too.
          result.rejected.push({ offset: message.offset, code: codeOf(error), reason: messageOf(error), rolledBack: '*' });
        }
      }
      results.push(result);
    }
    return results;
  }

  private async handleWithin(tx: EntityManager | null, batches: readonly ProcessorBatch[], spans: RecordSpans): Promise<readonly StepResult<R>[]> {
    for (const b of batches) spans.begin(b.topic, b.partition, b.messages);
    const opts = this.opts;
    let out: readonly StepResult<R>[];
    if (opts.stateless) out = await opts.handle(batches);
    else if (tx !== null) out = await opts.handle(batches, tx);
    else throw new Error(`step ${opts.step} keeps state: its rounds are handled within a Postgres transaction`);
    if (out.length !== batches.length) throw new Error(`step returned ${out.length} results for ${batches.length} batches`);
    return out;
  }

  private failureKey(b: ProcessorBatch): string {
    return `${slotKey(b.topic, b.partition)}@${b.messages[0]!.offset}`;
  }

  private forgetFailures(batch: ProcessorBatch): void {
    const prefix = `${slotKey(batch.topic, batch.partition)}@`;
    for (const key of this.failures.keys()) if (key.startsWith(prefix)) this.failures.delete(key);
  }

  private countFailure(batches: readonly ProcessorBatch[]): void {
    for (const b of batches) this.failures.set(this.failureKey(b), (this.failures.get(this.failureKey(b)) ?? 0) + 1);
  }

  /** Whether a batch of this round has failed for a non-retriable reason maxAttempts times. */
  private exhausted(batches: readonly ProcessorBatch[]): boolean {
    return batches.some((b) => (this.failures.get(this.failureKey(b)) ?? 0) >= (this.opts.maxAttempts ?? 3));
  }

  /** A stateless step depends on no database: only an error that says so is about the infrastructure. */
  private async isInfrastructure(error: unknown): Promise<boolean> {
    const opts = this.opts;
    return opts.stateless ? isRetriable(error) : isInfrastructureError(error, opts.dataSource);
  }

  private deadLetters(batch: ProcessorBatch, rejected: readonly RejectedRecord[]): PendingOutput[] {
    if (rejected.length === 0) return [];
    const byOffset = new Map(batch.messages.map((m) => [m.offset, m]));
    const at = new Date();
    return rejected.flatMap((r) => {
      const message = byOffset.get(r.offset);
      if (!message) return [];
      const attempts = this.opts.maxAttempts ?? 3;
      return [{ topic: this.opts.deadLetterTopic, message: deadLetter(this.opts.step, { topic: batch.topic, partition: batch.partition, message }, r, attempts, at) }];
    });
  }

  async stop(): Promise<void> {
    for (const recheck of this.rechecks.values()) clearTimeout(recheck);
    this.rechecks.clear();
    for (const { idle } of this.owed.values()) clearTimeout(idle);
    this.owed.clear();
    await this.consumer.disconnect();
    const producers = await Promise.allSettled([...this.producers.values(), ...(this.appender ? [this.appender] : [])]);
    this.producers.clear();
    this.appender = null;
    await Promise.all(producers.flatMap((p) => (p.status === 'fulfilled' ? [p.value.disconnect()] : [])));
  }

  /**
   * An at-least-once step's outputs, appended in their order with the
   * idempotent producer (no transaction), then the batch's offsets committed.
   * A failed append fails the round: the batch is fetched again from the
   * committed offsets and handled afresh. Says whether the offsets were
   * committed; if not (a rebalance under way), they are owed (see `owe`).
   */
  private async appendThenCommit(batch: ProcessorBatch, sends: readonly PendingOutput[], lastOffset: string): Promise<boolean> {
    await sendInOrder(await this.appenderProducer(), sends);
    try {
      await this.consumer.commitOffsets([{ topic: batch.topic, partition: batch.partition, offset: nextOffset(lastOffset) }]);
      return true;
    } catch (error) {
      this.logger.warn('could not commit consumed offsets after appending; they are committed later, or the batch is handled again', { error, step: this.opts.step, topic: batch.topic, partition: batch.partition });
      return false;
    }
  }

  private appenderProducer(): Promise<Producer> {
    if (!this.appender) {
      const created = this.opts.kafka.producer(EOS_PRODUCER);
      const connecting = created.connect().then(() => created);
      // Not kept when it failed: the next round connects again.
      connecting.catch(() => {
        if (this.appender === connecting) this.appender = null;
      });
      this.appender = connecting;
    }
    return this.appender;
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
  private async commit(batch: ProcessorBatch, sends: readonly PendingOutput[], lastOffset: string): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await this.commitOnce(batch, sends, lastOffset);
        return;
      } catch (error) {
        const passing = error instanceof BeforeCommitError && (error.cause as { retriable?: boolean }).retriable === true;
        // A partition's producers are not reused after a failed transaction: fresh ones claim the
        // ids again (InitProducerId), which fences whatever holds them and settles at the
        // coordinator whatever the failed transaction left. Producers kept across a broker
        // restart went on failing one transaction in a few (the broker unable to verify their
        // partitions) until their process was restarted.
        this.forgetProducers(batch.topic, batch.partition);
        if (!passing || attempt >= 10) throw error instanceof BeforeCommitError ? error.cause : error;
        await delay(Math.min(1000, 10 * 2 ** attempt));
      }
    }
  }

  private async commitOnce(batch: ProcessorBatch, sends: readonly PendingOutput[], lastOffset: string): Promise<void> {
    const producer = await this.producerFor(batch.topic, batch.partition);
    const txn = await producer.transaction();
    // The records and the consumed offsets join the transaction side by side: the broker
    // takes the requests of one connection in turn, but neither waits for the other's answer.
    const producing = sendInOrder(txn, sends);
    const offsets = txn.sendOffsets({
      consumerGroupId: this.opts.groupId,
      topics: [{ topic: batch.topic, partitions: [{ partition: batch.partition, offset: nextOffset(lastOffset) }] }],
    });
    const failed = (await Promise.allSettled([producing, offsets])).find((r) => r.status === 'rejected');
    if (failed) {
      this.logger.warn('kafka transaction failed before commit; aborted', { error: failed.reason, topic: batch.topic, partition: batch.partition });
      await txn.abort().catch(() => undefined);
      throw new BeforeCommitError(failed.reason);
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
    super(`${ROUND_FAILED_PREFIX}${messageOf(failure)}`);
  }
}

class BeforeCommitError extends Error {
  constructor(cause: unknown) {
    super('transaction failed before commit', { cause });
  }
}

/**
 * The records a partition's failed Kafka transaction sent, read after its
 * position: should another member of the group have moved the position in
 * between, the round is retried rather than replaying the wrong records.
 */
function pendingOf(pending: ReadonlyMap<string, StepPosition>, stored: { topic: string; partition: number; lastOffset: string }): readonly PendingOutput[] {
  const found = pending.get(slotKey(stored.topic, stored.partition));
  if (found?.lastOffset !== stored.lastOffset) {
    throw Object.assign(new Error(`the position of ${stored.topic}/${stored.partition} moved while its round was planned`), { retriable: true });
  }
  return found.pending;
}

/** The offset a consumer commits once it has handled through `lastOffset`. */
function nextOffset(lastOffset: string): string {
  return (BigInt(lastOffset) + 1n).toString();
}

/** Sends records topic by topic, in their order, in chunks a request can hold: in a transaction, or with a plain producer. */
async function sendInOrder(sender: Pick<Producer, 'send'>, sends: readonly PendingOutput[]): Promise<void> {
  for (const [topic, messages] of byTopic(sends)) {
    for (const chunk of chunkMessages(messages)) await sender.send({ topic, messages: chunk, acks: -1 });
  }
}

/** Keeps each topic's records in their order. */
function byTopic(sends: readonly PendingOutput[]): Map<string, Message[]> {
  const out = new Map<string, Message[]>();
  for (const { topic, message } of sends) {
    const list = out.get(topic);
    if (list) list.push(message);
    else out.set(topic, [message]);
  }
  return out;
}

function codeOf(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^[a-z_]{1,64}$/.test(code) ? code : 'handler_error';
}
