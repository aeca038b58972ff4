import { randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import type { LoggedKillCommand, TimerCommand } from '@medic/domain';
import { DurableTimers, newEnvelope, type EventLog } from '@medic/eventlog';

export interface TimerFiringOptions {
  readonly dataSource: DataSource;
  readonly log: EventLog;
  readonly source: string;
  readonly pollMs: number;
  readonly leaseMs: number;
  readonly onFired?: (commands: readonly LoggedKillCommand[]) => void;
}

interface KillTimerRow {
  readonly timer_id: string;
  readonly kill_id: string;
  readonly command: TimerCommand;
}

/**
 * The kill workflow's timers (kill_timers, see `timersOf`), fired as commands
 * on the log: each claimed timer's command is appended in the claiming
 * transaction. The workflow answers a second firing with CommandRejected and
 * changes nothing; the timer row goes once the kill's state no longer asks for it.
 */
export function killTimerFiring(opts: TimerFiringOptions): DurableTimers<KillTimerRow> {
  return new DurableTimers<KillTimerRow>({
    name: 'decision.kill-timers',
    dataSource: opts.dataSource,
    table: 'kill_timers',
    key: 'timer_id',
    pollMs: opts.pollMs,
    leaseMs: opts.leaseMs,
    onClaim: async (due, _tx, now) => {
      const commands = due.map((row): LoggedKillCommand => ({ ...row.command, commandId: randomUUID(), at: now.toISOString() }));
      await opts.log.append(
        'command',
        commands.map((command) => newEnvelope('command', command, { source: opts.source, subject: command.killId, time: command.at })),
      );
      opts.onFired?.(commands);
    },
  });
}
