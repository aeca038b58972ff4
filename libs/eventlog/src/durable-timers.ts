import type { Kafka } from 'kafkajs';
import type { DataSource, EntityManager } from 'typeorm';
import { endSpan, Logger, startSpan, withSpan, type Span } from '@medic/observability';
import { CatchUp, type LogProgress } from './catch-up';
import { Poller } from './poller';

export interface DurableTimersOptions<Row> {
  /** Names the timers in logs, e.g. `decision.kill-timers`. */
  readonly name: string;
  readonly dataSource: DataSource;
  /**
   * The service's table of timers (in its schema, rebuildable from the log):
   * a key column, `due_at timestamptz`, `claimed_until timestamptz` (null
   * when free) and `firings int`, beside whatever the owner keeps.
   */
  readonly table: string;
  readonly key: string;
  /** How often due timers are looked for. */
  readonly pollMs: number;
  /** How long a claim keeps other replicas off a timer; after that it may fire again. */
  readonly leaseMs: number;
  readonly batchSize?: number;
  readonly now?: () => Date;
  /**
   * In the claiming transaction: what must commit with the lease, or not at
   * all (the decision appends the commands its timers send here).
   */
  readonly onClaim?: (due: readonly Row[], tx: EntityManager, now: Date) => Promise<void>;
  /**
   * Once the lease is committed, outside every transaction: slow work, or
   * work that reaches outside (the monitor's health checks). The timers stay
   * leased meanwhile; whoever acts on one must lock its row again to record
   * what it did, and find it still as it left it.
   */
  readonly afterClaim?: (due: readonly Row[], now: Date) => Promise<void>;
  /**
   * The steps whose state the timers act on. After a start no timer fires
   * until they have read the log as far as it reached then (see `CatchUp`),
   * for at most `maxWaitMs` (a minute unless told): a timer due while its
   * service was down must not act on the state as it was before the outage,
   * ahead of what came in meanwhile (a re-kill, an answer, a report it was
   * waiting for).
   */
  readonly after?: TimersAfter;
}

/** The steps timers wait for after a start (see `DurableTimersOptions.after`). */
export interface TimersAfter {
  readonly kafka: Kafka;
  /** Asked at the first firing: the steps as they are by then. */
  readonly readers: () => readonly LogProgress[];
  readonly maxWaitMs?: number;
}

/** How long timers wait at most, after a start, for their steps to read the backlog. */
const CATCH_UP_MS = 60_000;

const IDENT = /^[a-z_][a-z0-9_]{0,62}$/;

/**
 * Durable timers: due times projected from the log into a service's table,
 * claimed with FOR UPDATE SKIP LOCKED and a lease so replicas share them.
 * A timer that came due while the service was down fires at the first poll
 * after it starts and its steps have read what the log held then (`after`).
 * Firing is at least once: a crash before the owner moves or drops a timer
 * leaves it due again once its lease runs out, and the owner makes a second
 * firing harmless. No business interval lives in memory;
 * only the poll does.
 */
export class DurableTimers<Row> {
  private readonly poller: Poller;
  private readonly logger: Logger;
  /** Until the steps of `after` have caught up: the look at them, and since when it has waited. */
  private catchUp: { readonly check: CatchUp; readonly since: number } | null = null;
  private caughtUp: boolean;

  constructor(private readonly opts: DurableTimersOptions<Row>) {
    if (!IDENT.test(opts.table) || !IDENT.test(opts.key)) throw new Error(`invalid timer table ${opts.table}.${opts.key}`);
    this.poller = new Poller(`timers.${opts.name}`, opts.pollMs, () => this.fireDue());
    this.logger = new Logger(`medic.timers.${opts.name}`);
    this.caughtUp = opts.after === undefined;
  }

  /** Fires due timers from now on, polling; an owner with a loop of its own calls `fireDue` from it instead. */
  start(): void {
    this.poller.start();
  }

  async stop(): Promise<void> {
    await this.poller.stop();
    await this.catchUp?.check.close();
  }

  /** Claims and fires every timer due now (up to the batch size); returns how many (none while its steps catch up after a start). */
  async fireDue(): Promise<number> {
    if (!(await this.stepsCaughtUp())) return 0;
    const now = (this.opts.now ?? (() => new Date()))();
    // A firing is a trace of its own (or goes on with the trace its rows carry): what it appends are its children.
    const firing: { span: Span | null } = { span: null };
    try {
      const due = await this.opts.dataSource.transaction(async (tx) => {
        const claimed = await this.claim(tx, now);
        if (claimed.length === 0) return claimed;
        firing.span = startSpan(`fire ${this.opts.name}`, { parent: null, attributes: () => ({ 'medic.timers': this.opts.name, 'medic.timers.claimed': claimed.length }) });
        await withSpan(firing.span, () => this.opts.onClaim?.(claimed, tx, now));
        return claimed;
      });
      if (firing.span) {
        await withSpan(firing.span, () => this.opts.afterClaim?.(due, now));
        endSpan(firing.span);
      }
      return due.length;
    } catch (error) {
      if (firing.span) endSpan(firing.span, error);
      throw error;
    }
  }

  /** Whether the steps of `after` have read the log as far as it reached at the first look, or have been waited for long enough. */
  private async stepsCaughtUp(): Promise<boolean> {
    const after = this.opts.after;
    if (this.caughtUp || after === undefined) return true;
    this.catchUp ??= { check: new CatchUp(after.kafka, after.readers()), since: performance.now() };
    const { check, since } = this.catchUp;
    let reached = false;
    try {
      reached = await check.reached();
    } catch (error) {
      this.logger.warn('could not see how far the steps have read; looking again', { timers: this.opts.name, error });
    }
    const waited = performance.now() - since;
    if (!reached && waited < (after.maxWaitMs ?? CATCH_UP_MS)) return false;
    if (reached) this.logger.info('steps caught up with the log; timers fire', { timers: this.opts.name, waited_ms: Math.round(waited) });
    else this.logger.warn('steps still behind the log; timers fire anyway', { timers: this.opts.name, waited_ms: Math.round(waited) });
    this.caughtUp = true;
    this.catchUp = null;
    await check.close();
    return true;
  }

  private async claim(tx: EntityManager, now: Date): Promise<Row[]> {
    const { table, key } = this.opts;
    const rows = await tx.query<Row[]>(
      `WITH due AS (
         SELECT ${key} FROM ${table}
          WHERE due_at <= $1 AND (claimed_until IS NULL OR claimed_until <= $1)
          ORDER BY due_at LIMIT $2 FOR UPDATE SKIP LOCKED),
       claimed AS (
         UPDATE ${table} t SET claimed_until = $3, firings = t.firings + 1 FROM due WHERE t.${key} = due.${key} RETURNING t.*)
       SELECT * FROM claimed ORDER BY due_at`,
      [now.toISOString(), this.opts.batchSize ?? 200, new Date(now.getTime() + this.opts.leaseMs).toISOString()],
    );
    return rows;
  }
}
