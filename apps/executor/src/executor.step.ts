import type { EntityManager } from 'typeorm';
import type { Message } from 'kafkajs';
import type { CascadeSettings, KillEvent, LoggedKillCommand, StandingSettings } from '@medic/domain';
import { applyRecordsToAll, causeOf, decodeRecords, dispatchEach, KillAppends, newEnvelope, toKafkaMessage, upsertRows, type LogDispatch, type LoggedEvent, type Output, type ProcessorBatch, type RejectedRecord, type StepResult } from '@medic/eventlog';
import { MODULE_KILLS } from './backoff/module-standing';
import { CASCADE_KILLS, wakeDependents } from './cascade/cascade';
import { KILL_MODULES } from './kill-modules';
import { ENGINE_CALLS_AT_ONCE, mapAtMost, targetKey, type ContainerEngine, type ContainerInfo, type ModuleTarget, type UnreadableContainer } from '@medic/containers';
import type { ContainerSnapshots } from './container-snapshot';
import { ContainerSnapshot, KillModule } from './executor.schema';

export interface ExecutorSettings {
  readonly source: string;
  readonly killEventsTopic: string;
  /** Where commands to the kill workflow go (a held-back dependent resumed once what it waited for is back). */
  readonly killCommandsTopic: string;
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
  /** interfaces.approval_queue.timeout_hours: how long an automatic approval a quarantine overtook waits for a human. */
  readonly approvalTimeoutHours: number;
  /** resurrection.cascade.*: dependencies before dependents. */
  readonly cascade: CascadeSettings;
}

/** What the executor knows of a kill's decision: what to bring back, and for how long an authorization to do so holds. */
export interface DecidedKill {
  readonly target: ModuleTarget;
  readonly validMinutes: number;
  /** The container the kill's resurrection brought back, once one did. */
  readonly containerId: string | null;
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
  private commands: Message[] = [];
  private work: (() => Promise<void>)[] = [];
  private intents: { target: ModuleTarget; write: (container: ContainerInfo | UnreadableContainer | null) => Promise<void> }[] = [];
  /** Killed instances whose containers are snapshotted when the round is saved: `targetKey` → the kill. */
  private readonly killed = new Map<string, { target: ModuleTarget; killId: string; at: string }>();
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

  /** The kill's decision as the executor folded it, or null when it never saw one. */
  async decidedKill(killId: string): Promise<DecidedKill | null> {
    const row = await this.tx.findOneBy(KillModule, { killId });
    return row === null
      ? null
      : { target: { module: row.targetModule, instance: row.targetInstanceId }, validMinutes: this.validMinutes(row.validMinutes), containerId: row.containerId };
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

  /**
   * An intent about the target's container, written once the round's containers are looked up together
   * (one the engine failed to describe is given as such: it fails that intent alone).
   */
  intendOn(target: ModuleTarget, write: (container: ContainerInfo | UnreadableContainer | null) => Promise<void>): void {
    this.intents.push({ target, write });
  }

  /**
   * The batch's intents first, on one listing of the engine, in log order; then the acts on
   * intents read back from the log, together.
   */
  async settle(): Promise<void> {
    const intents = this.intents;
    this.intents = [];
    if (intents.length > 0) {
      const containers = await this.engine.findAll(intents.map((i) => i.target));
      for (const i of intents) await i.write(containers.get(targetKey(i.target)) ?? null);
    }
    const queued = this.work;
    this.work = [];
    await mapAtMost(queued, ENGINE_CALLS_AT_ONCE, (work) => work());
  }

  /** Notes a killed instance, whose container's spec is kept when the round is saved. */
  killedModule(killId: string, target: ModuleTarget, at: string): void {
    this.killed.set(targetKey(target), { target, killId, at });
  }

  /** The last spec kept of the instance's container (taken when it was last killed), or null. */
  async instanceSnapshot(target: ModuleTarget): Promise<ContainerSnapshot | null> {
    return this.tx.findOneBy(ContainerSnapshot, { module: target.module, instance: target.instance ?? '' });
  }

  /** The last spec kept of any of the module's containers, or null. */
  async latestSnapshot(module: string): Promise<ContainerSnapshot | null> {
    return this.tx.findOne(ContainerSnapshot, { where: { module }, order: { takenAt: 'DESC' } });
  }

  /** The last spec kept of the instance's container, else the last kept of any of the module's; null if none. */
  async snapshotOf(target: ModuleTarget): Promise<ContainerSnapshot | null> {
    return (await this.instanceSnapshot(target)) ?? (await this.latestSnapshot(target.module));
  }

  async save(): Promise<void> {
    await this.saveSnapshots();
  }

  /**
   * One listing of the engine for every instance killed in the round, then each found container's spec.
   * An instance whose container is already gone keeps the spec it had before.
   */
  private async saveSnapshots(): Promise<void> {
    if (this.killed.size === 0) return;
    const taken = await this.snapshots.snapshotAll([...this.killed.values()].map((k) => k.target));
    const rows = [...taken].map(([key, { containerId, spec }]) => {
      const { target, killId, at } = this.killed.get(key)!;
      return Object.assign(new ContainerSnapshot(), { module: target.module, instance: target.instance ?? '', containerId, killId, spec, takenAt: new Date(at) });
    });
    await upsertRows(this.tx, ContainerSnapshot, rows, ['module', 'instance']);
  }

  append(event: KillEvent, cause: LoggedEvent<unknown>): void {
    this.appends.add(event, cause);
  }

  /** A command to the kill workflow, on the command log keyed by its kill, committed with the round's events. */
  command(command: LoggedKillCommand, cause: LoggedEvent<unknown>): void {
    this.commands.push(toKafkaMessage('command', newEnvelope('command', command, { source: this.settings.source, subject: command.killId, time: command.at, cause: causeOf(cause) })));
  }

  begin(): void {
    this.appends.reset();
    this.commands = [];
  }

  finish(rejected: RejectedRecord[]): StepResult<ExecutorReport> {
    const outputs: Output[] = [this.appends.output()];
    if (this.commands.length > 0) outputs.push({ topic: this.settings.killCommandsTopic, messages: this.commands });
    return { outputs, report: this.appends.events, rejected };
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
    const unfolded = [...(await applyRecordsToAll(tx, [MODULE_KILLS, KILL_MODULES, CASCADE_KILLS], batch)).values()].flatMap((applied) => applied.rejected);
    const { events, rejected } = decodeRecords('kill', batch, wanted);
    round.begin();
    const dispatched = await dispatchEach(events, round, dispatch, 'the executor');
    await round.settle();
    await wakeDependents(round, batch);
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
