import { randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import type { LoggedKillCommand, TimerCommand } from '@medic/domain';
import { newEnvelope, type EventLog } from '@medic/eventlog';
import { Logger } from '@medic/observability';

export interface TimerFiringOptions {
  readonly dataSource: DataSource;
  readonly log: EventLog;
  readonly source: string;
  /** How often due timers are looked for. */
  readonly pollMs: number;
  /** How long a firing keeps other replicas off a timer; after that it may fire again. */
  readonly leaseMs: number;
  readonly batchSize?: number;
  readonly now?: () => Date;
  readonly onFired?: (commands: readonly LoggedKillCommand[]) => void;
}

interface DueRow {
  readonly timer_id: string;
  readonly kill_id: string;
  readonly command: TimerCommand;
}

/**
 * Fires due timers as commands on the log. Replicas share the work: each
 * claims due timers with FOR UPDATE SKIP LOCKED and leases them while the
 * commands are appended. Firing is at least once (a crash between the append
 * and the lease leaves the timer due); the workflow answers a second firing
 * with CommandRejected and changes nothing. A timer that came due while the
 * service was down fires at the first poll after it starts.
 */
export class TimerFiring {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private stopped = false;
  private readonly logger = new Logger('medic.timers');

  constructor(private readonly opts: TimerFiringOptions) {}

  start(): void {
    this.stopped = false;
    this.schedule(0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
  }

  /** Fires every timer due now; returns how many commands it appended. */
  async fireDue(): Promise<number> {
    const now = (this.opts.now ?? (() => new Date()))();
    return this.opts.dataSource.transaction(async (tx) => {
      const due = await tx.query<DueRow[]>(
        `SELECT timer_id, kill_id, command FROM kill_timers
          WHERE due_at <= $1 AND (claimed_until IS NULL OR claimed_until <= $1)
          ORDER BY due_at LIMIT $2 FOR UPDATE SKIP LOCKED`,
        [now.toISOString(), this.opts.batchSize ?? 200],
      );
      if (due.length === 0) return 0;
      const commands = due.map((row) => ({ ...row.command, commandId: randomUUID(), at: now.toISOString() }));
      await this.opts.log.append(
        'command',
        commands.map((command) => newEnvelope('command', command, { source: this.opts.source, subject: command.killId, time: command.at })),
      );
      await tx.query(`UPDATE kill_timers SET claimed_until = $2, firings = firings + 1 WHERE timer_id = ANY($1)`, [
        due.map((d) => d.timer_id),
        new Date(now.getTime() + this.opts.leaseMs).toISOString(),
      ]);
      this.opts.onFired?.(commands);
      return commands.length;
    });
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.running = this.fireDue()
        .then((fired) => this.schedule(fired > 0 ? 0 : this.opts.pollMs))
        .catch((error: unknown) => {
          this.logger.warn('firing due timers failed; trying again', { error });
          this.schedule(Math.max(this.opts.pollMs, 1000));
        });
    }, delayMs);
  }
}
