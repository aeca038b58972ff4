import type { EntityManager } from 'typeorm';
import type { KillEvent, StandingSettings } from '@medic/domain';
import { applyRecords, decodeRecords, dispatchEach, KillAppends, type LogDispatch, type LoggedEvent, type ProcessorBatch, type RejectedRecord, type StepResult } from '@medic/eventlog';
import { MODULE_KILLS } from './backoff/module-standing';
import { KILL_MODULES } from './kill-modules';
import { ENGINE_CALLS_AT_ONCE, mapAtMost, type ContainerEngine, type ContainerInfo } from '@medic/containers';
import type { ContainerSnapshots } from './container-snapshot';
import { ContainerSnapshot, KillModule } from './executor.schema';

export interface ExecutorSettings {
  readonly source: string;
  readonly killEventsTopic: string;
  /** constraints.blacklisted_modules: never brought back, whoever approved it. */
  readonly blacklistedModules: readonly string[];
  /** Smith is asked first (spec 4.4): act on VetoCleared instead of on the approval. */
  readonly vetoProtocol: boolean;
  /** How re-kills hold a module's resurrections back (resurrection.backoff.*). */
  readonly standing: StandingSettings;
  /** decision.default_timeout_minutes: the validity window of kills whose decision did not carry one. */
  readonly defaultValidMinutes: number;
  /** resurrection.max_retry_attempts: how often a start the engine refused is tried again. */
  readonly maxRetryAttempts: number;
}

/** What the executor knows of a kill's decision: the module to bring back, and for how long an authorization to do so holds. */
export interface DecidedKill {
  readonly targetModule: string;
  readonly validMinutes: number;
}

/** The engine, and how to make a gone container again. */
export interface ExecutorEngines {
  readonly engine: ContainerEngine;
  readonly snapshots: ContainerSnapshots;
}

export type ExecutorReport = readonly KillEvent[];


/** What the executor's handlers are given: the engine, and where to append. */
export class ExecutorRound {
  private readonly appends: KillAppends;
  private work: (() => Promise<void>)[] = [];
  private intents: { module: string; write: (container: ContainerInfo | null) => Promise<void> }[] = [];
  /** Killed modules whose containers are snapshotted when the round is saved: module → kill. */
  private readonly killed = new Map<string, { killId: string; at: string }>();
  readonly engine: ContainerEngine;
  readonly snapshots: ContainerSnapshots;

  constructor(
    engines: ExecutorEngines,
    readonly settings: ExecutorSettings,
    readonly now: () => Date,
    readonly tx: EntityManager,
  ) {
    this.engine = engines.engine;
    this.snapshots = engines.snapshots;
    this.appends = new KillAppends(settings.source, settings.killEventsTopic);
  }

  async moduleOf(killId: string): Promise<string | null> {
    return (await this.decidedKill(killId))?.targetModule ?? null;
  }

  /** The kill's decision as the executor folded it, or null when it never saw one. */
  async decidedKill(killId: string): Promise<DecidedKill | null> {
    const row = await this.tx.findOneBy(KillModule, { killId });
    return row === null ? null : { targetModule: row.targetModule, validMinutes: this.validMinutes(row.validMinutes) };
  }

  /** A decision's window, or the configured one for a decision that carried none. */
  validMinutes(ofDecision: number | null): number {
    return ofDecision !== null && ofDecision > 0 ? ofDecision : this.settings.defaultValidMinutes;
  }

  /**
   * Work on the container engine for this batch, run together once the batch is dispatched:
   * a burst of approved kills starts its containers in parallel, not one after another.
   */
  later(work: () => Promise<void>): void {
    this.work.push(work);
  }

  /** An intent about the module's container, written once the round's containers are looked up together. */
  intendOn(module: string, write: (container: ContainerInfo | null) => Promise<void>): void {
    this.intents.push({ module, write });
  }

  /**
   * The batch's intents first, on one listing of the engine, in log order; then the acts on
   * intents read back from the log, together.
   */
  async settle(): Promise<void> {
    const intents = this.intents;
    this.intents = [];
    if (intents.length > 0) {
      const containers = await this.engine.findAll(intents.map((i) => i.module));
      for (const i of intents) await i.write(containers.get(i.module) ?? null);
    }
    const queued = this.work;
    this.work = [];
    await mapAtMost(queued, ENGINE_CALLS_AT_ONCE, (work) => work());
  }

  /** Notes a killed module, whose container's spec is kept when the round is saved. */
  killedModule(killId: string, module: string, at: string): void {
    this.killed.set(module, { killId, at });
  }

  /** The last spec kept of the module's container, or null. */
  async snapshotOf(module: string): Promise<ContainerSnapshot | null> {
    return this.tx.findOneBy(ContainerSnapshot, { module });
  }

  async save(): Promise<void> {
    await this.saveSnapshots();
  }

  /**
   * One listing of the engine for every module killed in the round, then each found container's spec.
   * A module whose container is already gone keeps the spec it had before.
   */
  private async saveSnapshots(): Promise<void> {
    if (this.killed.size === 0) return;
    const taken = await this.snapshots.snapshotAll([...this.killed.keys()]);
    const rows = [...taken].map(([module, { containerId, spec }]) => {
      const kill = this.killed.get(module)!;
      return Object.assign(new ContainerSnapshot(), { module, containerId, killId: kill.killId, spec, takenAt: new Date(kill.at) });
    });
    if (rows.length > 0) await this.tx.upsert(ContainerSnapshot, rows, ['module']);
  }

  append(event: KillEvent, cause: LoggedEvent<unknown>): void {
    this.appends.add(event, cause);
  }

  begin(): void {
    this.appends.reset();
  }

  finish(rejected: RejectedRecord[]): StepResult<ExecutorReport> {
    return { outputs: [this.appends.output()], report: this.appends.events, rejected };
  }
}

/** The kill events the executor acts on, in log order, each to its handler. */
export async function runExecutor(
  batches: readonly ProcessorBatch[],
  tx: EntityManager,
  engines: ExecutorEngines,
  settings: ExecutorSettings,
  dispatch: LogDispatch,
  wanted: (type: string) => boolean,
): Promise<StepResult<ExecutorReport>[]> {
  const round = new ExecutorRound(engines, settings, () => new Date(), tx);
  const results: StepResult<ExecutorReport>[] = [];
  for (const batch of batches) {
    // The modules' standing first, in this transaction, so a backoff counts every re-kill up to this batch.
    const unfolded = [...(await applyRecords(tx, MODULE_KILLS, batch)).rejected, ...(await applyRecords(tx, KILL_MODULES, batch)).rejected];
    const { events, rejected } = decodeRecords('kill', batch, wanted);
    round.begin();
    const dispatched = await dispatchEach(events, round, dispatch, 'the executor');
    await round.settle();
    // One dead letter per record, whichever of the decoding, the handlers and the projections refused it.
    const seen = new Set([...rejected, ...dispatched].map((r) => r.offset));
    const more: RejectedRecord[] = [];
    for (const r of unfolded) {
      if (seen.has(r.offset)) continue;
      seen.add(r.offset);
      more.push(r);
    }
    results.push(round.finish([...rejected, ...dispatched, ...more]));
  }
  await round.save();
  return results;
}
