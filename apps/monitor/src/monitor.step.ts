import type { EntityManager } from 'typeorm';
import type { KillEvent, MonitorSettings } from '@medic/domain';
import { decodeRecords, dispatchEach, KillAppends, type LogDispatch, type LoggedEvent, type ProcessorBatch, type RejectedRecord, type StepResult } from '@medic/eventlog';
import { REKILLABLE_PHASES } from './monitor.schema';
import { lockRows, saveRows, type WatchRow } from './watch-rows';

export interface MonitorStepSettings {
  /** The CloudEvents source of what the monitor appends. */
  readonly source: string;
  readonly killEventsTopic: string;
  readonly monitor: MonitorSettings;
}

/** What a round appended, for logs and metrics once committed. */
export type MonitorReport = readonly KillEvent[];

const rekillable = new Set<string>(REKILLABLE_PHASES);

/**
 * What the monitor's handlers are given for each event of a round: the
 * round's rows (loaded and locked together), and where to put what they append.
 */
export class MonitorRound {
  private readonly appends: KillAppends;
  private readonly changed = new Set<string>();

  constructor(
    private readonly rows: Map<string, WatchRow>,
    readonly settings: MonitorStepSettings,
    readonly now: () => Date,
  ) {
    this.appends = new KillAppends(settings.source, settings.killEventsTopic);
  }

  row(killId: string): WatchRow | null {
    return this.rows.get(killId) ?? null;
  }

  put(row: WatchRow): void {
    this.rows.set(row.killId, row);
    this.changed.add(row.killId);
  }

  /** The watches of `module` that a kill reported now may re-kill (all but that kill's own). */
  rekillable(module: string, killId: string): WatchRow[] {
    return [...this.rows.values()].filter((r) => r.targetModule === module && r.killId !== killId && rekillable.has(r.phase));
  }

  append(events: readonly KillEvent[], cause: LoggedEvent<unknown>): void {
    for (const event of events) this.appends.add(event, cause);
  }

  begin(): void {
    this.appends.reset();
  }

  finish(rejected: RejectedRecord[]): StepResult<MonitorReport> {
    return { outputs: [this.appends.output()], report: this.appends.events, rejected };
  }

  changedRows(): WatchRow[] {
    return [...this.changed].map((id) => this.rows.get(id)!);
  }
}

/** The kill events the monitor follows, in log order, each to its handler; the round's rows are written once at the end. */
export async function runMonitor(
  batches: readonly ProcessorBatch[],
  tx: EntityManager,
  settings: MonitorStepSettings,
  dispatch: LogDispatch,
  wanted: (type: string) => boolean,
): Promise<StepResult<MonitorReport>[]> {
  const decoded = batches.map((batch) => decodeRecords('kill', batch, wanted));
  const events = decoded.flatMap((d) => d.events);
  const modules = events.flatMap((e) => (e.data.type === 'KillReported' ? [e.data.report.targetModule] : []));
  const rows = await lockRows(
    tx,
    events.map((e) => e.data.killId),
    modules,
  );
  const round = new MonitorRound(new Map(rows.map((r) => [r.killId, r])), settings, () => new Date());
  const results: StepResult<MonitorReport>[] = [];
  for (const { events: batchEvents, rejected } of decoded) {
    round.begin();
    results.push(round.finish([...rejected, ...(await dispatchEach(batchEvents, round, dispatch, 'the monitor'))]));
  }
  await saveRows(tx, round.changedRows());
  return results;
}
