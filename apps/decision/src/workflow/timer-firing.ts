import { randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import type { LoggedKillCommand, TimerCommand } from '@medic/domain';
import { DurableTimers, newEnvelope, type EventLog, type TimersAfter } from '@medic/eventlog';
import { activeTrace, endSpan, SpanKind, startSpan, traceOf } from '@medic/observability';

export interface TimerFiringOptions {
  readonly dataSource: DataSource;
  readonly log: EventLog;
  readonly source: string;
  readonly pollMs: number;
  readonly leaseMs: number;
  /** The workflow's step: after a start, timers fire once it has read the backlog (an approval, a SIEM answer, a release that came in meanwhile). */
  readonly after?: TimersAfter;
  readonly onFired?: (commands: readonly LoggedKillCommand[]) => void;
}

interface KillTimerRow {
  readonly timer_id: string;
  readonly kill_id: string;
  readonly command: TimerCommand;
  /** The trace of the event that set the timer; null for timers set before it was kept. */
  readonly traceparent: string | null;
}

/**
 * The kill workflow's timers (kill_timers, see `timersOf`), fired as commands
 * on the log: each claimed timer's command is appended in the claiming
 * transaction. The workflow answers a second firing with CommandRejected and
 * changes nothing; the timer row goes once the kill's state no longer asks for it.
 * Each command goes on with its kill's trace: a span per timer, child of the
 * event that set it and linked to the firing's span.
 */
export function killTimerFiring(opts: TimerFiringOptions): DurableTimers<KillTimerRow> {
  return new DurableTimers<KillTimerRow>({
    name: 'decision.kill-timers',
    dataSource: opts.dataSource,
    table: 'kill_timers',
    key: 'timer_id',
    pollMs: opts.pollMs,
    leaseMs: opts.leaseMs,
    after: opts.after,
    onClaim: async (due, _tx, now) => {
      const firing = activeTrace();
      const fired = due.map((row) => {
        const command: LoggedKillCommand = { ...row.command, commandId: randomUUID(), at: now.toISOString() };
        if (row.traceparent === null) return { command, envelope: newEnvelope('command', command, { source: opts.source, subject: command.killId, time: command.at }) };
        const span = startSpan(`timer ${command.type}`, {
          kind: SpanKind.PRODUCER,
          parent: row.traceparent,
          links: firing === null ? [] : [firing],
          attributes: () => ({ 'medic.kill_id': command.killId, 'medic.timer_id': row.timer_id, 'medic.command_id': command.commandId }),
        });
        endSpan(span);
        return { command, envelope: newEnvelope('command', command, { source: opts.source, subject: command.killId, time: command.at, trace: traceOf(span) }) };
      });
      await opts.log.append('command', fired.map((f) => f.envelope));
      opts.onFired?.(fired.map((f) => f.command));
    },
  });
}
