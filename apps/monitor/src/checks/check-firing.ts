import type { DataSource } from 'typeorm';
import type { ContainerEngine } from '@medic/containers';
import { closeStable, confirmStopped, recordCheck, type CheckObservation, type KillEvent, type MonitorSettings, type WatchStep } from '@medic/domain';
import { DurableTimers, newEnvelope, type EventLog, type TimersAfter } from '@medic/eventlog';
import { Logger } from '@medic/observability';
import { fromRaw, lockRow, outcomeIdOf, saveRows, withWatch, type RawRow, type WatchRow } from '../watch-rows';
import { observe } from './health-check';
import type { NamedProbe } from './probes';

export interface CheckFiringOptions {
  readonly dataSource: DataSource;
  readonly engine: ContainerEngine;
  readonly log: EventLog;
  readonly source: string;
  readonly settings: MonitorSettings;
  readonly probesOf: (module: string) => readonly NamedProbe[];
  readonly pollMs: number;
  /** Longer than a check can take (its slowest probe), so no other replica takes a watch mid-check. */
  readonly leaseMs: number;
  /** The monitor's step: after a start, watches fire once it has read the backlog (a re-kill, a rollback that came in meanwhile). */
  readonly after?: TimersAfter;
  readonly onRecorded?: (checked: boolean, events: readonly KillEvent[]) => void;
}

/**
 * The watches' timers: a due watch is claimed (lease), checked outside any
 * transaction (the engine and the probes), and what the check found is
 * recorded under the watch's row lock, only if the watch is still as it was
 * claimed: a rollback or a re-kill handled meanwhile by the monitor's step
 * wins, and the check is dropped. The events are appended before the row is
 * written, in its transaction: at least once, and never a second outcome for
 * a watch the step closed. A stable watch whose re-kill window has passed
 * gets its outcome the same way, without a check, and a module found stopped
 * whose kill report did not come in its grace its anomaly.
 */
export class CheckFiring {
  private readonly timers: DurableTimers<RawRow>;
  private readonly logger = new Logger('medic.monitor.checks');

  constructor(private readonly opts: CheckFiringOptions) {
    this.timers = new DurableTimers<RawRow>({
      name: 'monitor.watches',
      dataSource: opts.dataSource,
      table: 'watches',
      key: 'kill_id',
      pollMs: opts.pollMs,
      leaseMs: opts.leaseMs,
      batchSize: 50,
      after: opts.after,
      afterClaim: async (due) => {
        const results = await Promise.allSettled(due.map((row) => this.fire(fromRaw(row))));
        for (const r of results) if (r.status === 'rejected') this.logger.warn('recording a check failed; the watch is checked again once its lease runs out', { error: r.reason });
      },
    });
  }

  start(): void {
    this.timers.start();
  }

  stop(): Promise<void> {
    return this.timers.stop();
  }

  private async fire(claimed: WatchRow): Promise<void> {
    const watch = claimed.watch;
    if (watch === null) return;
    let observation: CheckObservation | null = null;
    if (watch.phase === 'monitoring') {
      try {
        observation = watch.containerId === null ? { container: null, probes: [] } : await observe(this.opts.engine, watch.containerId, this.opts.probesOf(watch.targetModule));
      } catch (error) {
        // The engine not answering says nothing about the module: no verdict, the lease brings the check back.
        this.logger.warn('the container engine did not answer a health check; trying again later', { kill_id: watch.killId, error });
        return;
      }
    }
    const ctx = { at: new Date().toISOString(), outcomeId: outcomeIdOf(claimed.killId) };
    await this.opts.dataSource.transaction(async (tx) => {
      const row = await lockRow(tx, claimed.killId);
      if (row?.watch == null || row.firings !== claimed.firings || row.phase !== claimed.phase) return;
      const step: WatchStep =
        observation !== null
          ? recordCheck(row.watch, observation, ctx, this.opts.settings)
          : row.phase === 'stable'
            ? closeStable(row.watch, ctx)
            : row.phase === 'stopped'
              ? confirmStopped(row.watch, ctx, this.opts.settings)
              : { watch: row.watch, events: [] };
      await this.opts.log.append(
        'kill',
        step.events.map((e) => newEnvelope('kill', e, { source: this.opts.source, subject: e.killId, time: e.at, cause: row.cause })),
      );
      await saveRows(tx, [withWatch(row, step.watch)], true);
      this.opts.onRecorded?.(observation !== null, step.events);
    });
  }
}
