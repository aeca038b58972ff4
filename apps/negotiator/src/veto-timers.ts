import type { Producer } from 'kafkajs';
import type { DataSource, EntityManager } from 'typeorm';
import { dueVeto, type PreResurrectionNotice, type VetoEvent } from '@medic/domain';
import { Logger } from '@medic/observability';
import { VetoKill } from './negotiator.schema';
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
  /** Called with the reply topics of the notices about to go, before they go: their answers must have a reader. */
  readonly beforeSend: (replyTopics: readonly string[]) => Promise<void>;
  readonly onSent?: (notices: readonly PreResurrectionNotice[]) => void;
  readonly onFired?: (events: readonly VetoEvent[]) => void;
}

/**
 * The negotiator's work outside the kill log, on rows claimed with FOR
 * UPDATE SKIP LOCKED so replicas share it:
 * - notices whose VetoRequested is on the log go to Smith (also those left
 *   unsent by a crash: on start, every pending notice is sent);
 * - due exchanges fire: at Smith's deadline the configured default settles
 *   the kill, after a defer the notice is asked again (a new VetoRequested).
 * Each claim is one Postgres transaction around its sends, so a crash before
 * it commits sends again (at least once): a notice sent twice is answered
 * once (the second answer is dead-lettered), and a verdict appended twice is
 * refused by the kill's state.
 */
export class VetoTimers {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private stopped = false;
  private woken = false;
  private readonly logger = new Logger('medic.negotiator.timers');

  constructor(private readonly opts: VetoTimersOptions) {}

  start(): void {
    this.stopped = false;
    this.schedule(0);
  }

  /** Something is due now (a notice became ready): look at once rather than at the next poll. */
  wake(): void {
    if (this.running) {
      this.woken = true;
      return;
    }
    if (this.timer) clearTimeout(this.timer);
    this.schedule(0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
  }

  /** Sends ready notices and fires due exchanges; returns how much it did. */
  async runOnce(): Promise<number> {
    return (await this.sendNotices()) + (await this.fireDue());
  }

  private async sendNotices(): Promise<number> {
    return this.opts.dataSource.transaction(async (tx) => {
      const rows = await tx.query<{ kill_id: string; notice: PreResurrectionNotice; topic: string }[]>(
        `SELECT kill_id, notice, exchange->>'noticeTopic' AS topic FROM veto_kills WHERE notice IS NOT NULL ORDER BY kill_id LIMIT $1 FOR UPDATE SKIP LOCKED`,
        [this.opts.batchSize ?? 100],
      );
      if (rows.length === 0) return 0;
      await this.opts.beforeSend([...new Set(rows.map((r) => r.notice.reply_to))]);
      for (const [topic, group] of groupBy(rows, (r) => r.topic)) {
        await this.opts.producer.send({ topic, acks: -1, messages: group.map((r) => ({ key: r.kill_id, value: JSON.stringify(r.notice) })) });
      }
      await tx.query(`UPDATE veto_kills SET notice = NULL WHERE kill_id = ANY($1)`, [rows.map((r) => r.kill_id)]);
      this.opts.onSent?.(rows.map((r) => r.notice));
      return rows.length;
    });
  }

  private async fireDue(): Promise<number> {
    const at = (this.opts.now ?? (() => new Date()))();
    return this.opts.dataSource.transaction(async (tx) => {
      const rows = await claimDue(tx, at, this.opts.batchSize ?? 100);
      if (rows.length === 0) return 0;
      const kills = VetoKills.of(rows);
      const fired = rows.flatMap((row) => {
        const events = dueVeto(row.exchange!, at.toISOString(), this.opts.settings.veto, nextAsk(row.exchange!));
        for (const e of events) kills.apply(e);
        return events.map((event) => ({ event, cause: row.cause }));
      });
      if (fired.length > 0) {
        await this.opts.producer.send({ topic: this.opts.settings.killEventsTopic, acks: -1, messages: fired.map(({ event, cause }) => vetoRecord(event, cause)) });
      }
      await kills.save(tx);
      this.opts.onFired?.(fired.map((f) => f.event));
      return fired.length;
    });
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.woken = false;
      this.running = this.runOnce()
        .then((done) => {
          this.running = null;
          this.schedule(done > 0 || this.woken ? 0 : this.opts.pollMs);
        })
        .catch((error: unknown) => {
          this.running = null;
          this.logger.warn('veto notices or timers failed; trying again', { error });
          this.schedule(Math.max(this.opts.pollMs, 1000));
        });
    }, delayMs);
  }
}

/** Due exchanges, oldest first, locked; those another replica holds are skipped. */
function claimDue(tx: EntityManager, at: Date, limit: number): Promise<VetoKill[]> {
  return tx
    .getRepository(VetoKill)
    .createQueryBuilder('k')
    .where('k.due_at <= :at', { at })
    .orderBy('k.due_at', 'ASC')
    .limit(limit)
    .setLock('pessimistic_write')
    .setOnLocked('skip_locked')
    .getMany();
}

function groupBy<T>(items: readonly T[], key: (item: T) => string): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const item of items) out.set(key(item), [...(out.get(key(item)) ?? []), item]);
  return out;
}
