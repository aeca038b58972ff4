import type { Producer } from 'kafkajs';
import type { DataSource, EntityManager } from 'typeorm';
import { dueVeto, staleNotice, type PreResurrectionNotice, type VetoEvent, type VetoExchange, type VetoRequested } from '@medic/domain';
import { DurableTimers, Poller, type TimersAfter } from '@medic/eventlog';
import type { NegotiatorSettings } from './negotiator.settings';
import { nextAsk, vetoRecord, VetoKills } from './veto-kills';

export interface VetoTimersOptions {
  readonly dataSource: DataSource;
  /** Idempotent, not transactional: notices to Smith's topic, veto events to the kill log. */
  readonly producer: Producer;
  readonly settings: NegotiatorSettings;
  /** How often due work is looked for when nothing wakes the loop. */
  readonly pollMs: number;
  readonly batchSize?: number;
  readonly now?: () => Date;
  /**
   * Called with the reply topics of the notices about to go, before they go:
   * their answers must have a reader. Resolves to the topics that have one; a
   * notice naming another is not sent (its deadline settles it by default).
   */
  readonly beforeSend: (replyTopics: readonly string[]) => Promise<ReadonlySet<string>>;
  readonly onSent?: (notices: readonly PreResurrectionNotice[]) => void;
  /** Notices not sent because nothing reads their reply topic. */
  readonly onWithheld?: (notices: readonly PreResurrectionNotice[]) => void;
  readonly onFired?: (events: readonly VetoEvent[]) => void;
  /** Notices asked again instead of being sent with less than half their time left. */
  readonly onAskedAgain?: (asks: readonly VetoRequested[]) => void;
  /**
   * The negotiation step and the reply topics' steps: after a start, no
   * deadline settles an exchange until they have read the backlog (an
   * answer Smith gave in time, a kill's later events).
   */
  readonly after?: TimersAfter;
}

/**
 * The negotiator's work outside the kill log, shared by replicas:
 * - notices whose VetoRequested is on the log go to Smith (also those left
 *   unsent by a crash: on start, every pending notice is sent; one that
 *   would give Smith less than half its time is asked again instead), on rows
 *   claimed with FOR UPDATE SKIP LOCKED; one whose reply topic Medic does
 *   not read (asked before smith.veto_protocol.reply_topics was checked) is
 *   dropped unsent, and its deadline settles it by the default;
 * - due exchanges are the kit's durable timers: at Smith's deadline the
 *   configured default settles the kill, after a defer the notice is asked
 *   again (a new VetoRequested).
 * Each claim is one Postgres transaction around its sends, so a crash before
 * it commits sends again (at least once): a notice sent twice is answered
 * once (the second answer is dead-lettered), and a verdict appended twice is
 * refused by the kill's state. One loop does both, woken when a notice is ready.
 */
export class VetoTimers {
  private readonly exchanges: DurableTimers<{ kill_id: string }>;
  private readonly poller: Poller;

  constructor(private readonly opts: VetoTimersOptions) {
    this.exchanges = new DurableTimers<{ kill_id: string }>({
      name: 'negotiator.veto-exchanges',
      dataSource: opts.dataSource,
      table: 'veto_kills',
      key: 'kill_id',
      pollMs: opts.pollMs,
      // Fired inside the claiming transaction: the lease never outlives it, and each firing lets it go.
      leaseMs: 60_000,
      batchSize: opts.batchSize ?? 100,
      now: opts.now,
      after: opts.after,
      onClaim: (due, tx, at) => this.fire(due, tx, at),
    });
    this.poller = new Poller('negotiator.veto', opts.pollMs, () => this.runOnce());
  }

  start(): void {
    this.poller.start();
  }

  /** Something is due now (a notice became ready): look at once rather than at the next poll. */
  wake(): void {
    this.poller.wake();
  }

  stop(): Promise<void> {
    return this.poller.stop();
  }

  /** Sends ready notices and fires due exchanges; returns how much it did. */
  async runOnce(): Promise<number> {
    return (await this.sendNotices()) + (await this.exchanges.fireDue());
  }

  private async sendNotices(): Promise<number> {
    return this.opts.dataSource.transaction(async (tx) => {
      const rows = await tx.query<{ kill_id: string; notice: PreResurrectionNotice; exchange: VetoExchange | null; topic: string }[]>(
        `SELECT kill_id, notice, exchange, exchange->>'noticeTopic' AS topic FROM veto_kills WHERE notice IS NOT NULL ORDER BY kill_id LIMIT $1 FOR UPDATE SKIP LOCKED`,
        [this.opts.batchSize ?? 100],
      );
      if (rows.length === 0) return 0;
      const read = await this.opts.beforeSend([...new Set(rows.map((r) => r.notice.reply_to))]);
      // A notice asking Smith to answer where Medic does not read would ask Smith to write into that topic.
      const withheld = rows.filter((r) => !read.has(r.notice.reply_to));
      const readable = rows.filter((r) => read.has(r.notice.reply_to));
      const asked = await this.askAgainIfStale(readable, tx);
      const sendable = readable.filter((r) => !asked.has(r.kill_id));
      for (const [topic, group] of groupBy(sendable, (r) => r.topic)) {
        await this.opts.producer.send({ topic, acks: -1, messages: group.map((r) => ({ key: r.kill_id, value: JSON.stringify(r.notice) })) });
      }
      await tx.query(`UPDATE veto_kills SET notice = NULL WHERE kill_id = ANY($1)`, [rows.map((r) => r.kill_id)]);
      if (sendable.length > 0) this.opts.onSent?.(sendable.map((r) => r.notice));
      if (withheld.length > 0) this.opts.onWithheld?.(withheld.map((r) => r.notice));
      return rows.length;
    });
  }

  /**
   * Notices that would reach Smith with less than half their time left (see
   * `staleNotice`) are not sent: Smith is asked again, with a deadline from
   * now, and the new notice goes once its VetoRequested is read back. Returns
   * the kills asked again.
   */
  private async askAgainIfStale(rows: readonly { kill_id: string; exchange: VetoExchange | null }[], tx: EntityManager): Promise<Set<string>> {
    const at = (this.opts.now ?? (() => new Date()))().toISOString();
    const stale = rows.flatMap(({ kill_id, exchange }) => {
      const ask = exchange === null ? null : staleNotice(exchange, at, this.opts.settings.veto, nextAsk(exchange));
      return ask === null ? [] : [{ killId: kill_id, ask }];
    });
    if (stale.length === 0) return new Set();
    const kills = await VetoKills.load(
      tx,
      stale.map((s) => s.killId),
    );
    for (const { killId } of stale) kills.edit(killId).notice = null;
    await this.record(
      kills,
      stale.map((s) => s.ask),
      tx,
    );
    this.opts.onAskedAgain?.(stale.map((s) => s.ask));
    return new Set(stale.map((s) => s.killId));
  }

  /** The due exchanges, claimed (and so locked) in `tx`: what each comes to is appended, then written. */
  private async fire(due: readonly { kill_id: string }[], tx: EntityManager, at: Date): Promise<void> {
    const kills = await VetoKills.load(
      tx,
      due.map((r) => r.kill_id),
    );
    const fired = due.flatMap(({ kill_id }) => {
      const exchange = kills.get(kill_id)?.exchange;
      return exchange == null ? [] : dueVeto(exchange, at.toISOString(), this.opts.settings.veto, nextAsk(exchange));
    });
    await this.record(kills, fired, tx);
    this.opts.onFired?.(fired);
  }

  /** Veto events of kills loaded (and locked) in `tx`: folded into their rows, appended to the kill log with each kill's cause, the rows written. */
  private async record(kills: VetoKills, events: readonly VetoEvent[], tx: EntityManager): Promise<void> {
    const records = events.map((event) => {
      const cause = kills.get(event.killId)?.cause ?? null;
      kills.apply(event);
      return vetoRecord(event, cause);
    });
    if (records.length > 0) await this.opts.producer.send({ topic: this.opts.settings.killEventsTopic, acks: -1, messages: records });
    await kills.save(tx);
  }
}

function groupBy<T>(items: readonly T[], key: (item: T) => string): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const item of items) out.set(key(item), [...(out.get(key(item)) ?? []), item]);
  return out;
}
