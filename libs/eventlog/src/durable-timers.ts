import type { DataSource, EntityManager } from 'typeorm';
import { endSpan, startSpan, withSpan, type Span } from '@medic/observability';
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
}

const IDENT = /^[a-z_][a-z0-9_]{0,62}$/;

/**
 * Durable timers: due times projected from the log into a service's table,
 * claimed with FOR UPDATE SKIP LOCKED and a lease so replicas share them.
 * A timer that came due while the service was down fires at the first poll
 * after it starts. Firing is at least once: a crash before the owner moves
 * or drops a timer leaves it due again once its lease runs out, and the
 * owner makes a second firing harmless. No business interval lives in memory;
 * only the poll does.
 */
export class DurableTimers<Row> {
  private readonly poller: Poller;

  constructor(private readonly opts: DurableTimersOptions<Row>) {
    if (!IDENT.test(opts.table) || !IDENT.test(opts.key)) throw new Error(`invalid timer table ${opts.table}.${opts.key}`);
    this.poller = new Poller(`timers.${opts.name}`, opts.pollMs, () => this.fireDue());
  }

  /** Fires due timers from now on, polling; an owner with a loop of its own calls `fireDue` from it instead. */
  start(): void {
    this.poller.start();
  }

  stop(): Promise<void> {
    return this.poller.stop();
  }

  /** Claims and fires every timer due now (up to the batch size); returns how many. */
  async fireDue(): Promise<number> {
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
