import type { Kafka } from 'kafkajs';
import type { DataSource, EntityManager } from 'typeorm';
import { DomainError, type KillEvent, type ModuleReleased } from '@medic/domain';
import { decodeRecords, decodePending, header, readLog, type LoggedEvent, type RebuildResult } from '@medic/eventlog';
import { WORKFLOW_CONTROL_TYPES } from './kill-workflow.step';
import { WorkflowState } from './workflow-state';

export interface WorkflowRebuild {
  readonly kafka: Kafka;
  readonly dataSource: DataSource;
  readonly killEventsTopic: string;
  /** Where module releases come from. */
  readonly controlTopic: string;
}

export const WORKFLOW_STATE_NAME = 'decision.workflow';
/** The workflow's step name (its positions, dead letters and metrics) and the source of what it appends. */
export const WORKFLOW_STEP = 'decision';
export const WORKFLOW_SOURCE = 'medic/decision';

/**
 * Drops the decision service's state (kills, module days, re-kills and
 * releases, timers) and folds it again from offset 0 of the kill and control
 * logs, in one transaction. It folds what the live workflow has folded: the
 * events from elsewhere up to the workflow's position in each partition
 * (later ones are still to be decided by it), everything the workflow
 * appended, and what its unfinished Kafka transactions are about to append.
 * Truncating first makes a running workflow wait for the rebuild, then carry
 * on from the rebuilt state.
 */
export async function rebuildWorkflowState(args: WorkflowRebuild): Promise<RebuildResult> {
  const started = Date.now();
  let applied = 0;
  let rejected = 0;
  await args.dataSource.transaction(async (tx) => {
    await tx.query('TRUNCATE kill_state, module_daily, kill_timers, module_rekills, module_releases');
    const positions = await positionsOf(tx, args.killEventsTopic);
    const seen = new Set<string>();
    await readLog(args.kafka, args.killEventsTopic, async (records) => {
      const upTo = positions.get(records.partition)?.lastOffset ?? -1n;
      const messages = records.messages.filter((m) => header(m.headers, 'ce_source') === WORKFLOW_SOURCE || BigInt(m.offset) <= upTo);
      const decoded = decodeRecords('kill', { ...records, messages });
      const { events } = decoded;
      rejected += decoded.rejected.length;
      for (const e of events) seen.add(e.id);
      applied += await fold(tx, events);
    });
    const pending = [...positions.values()].flatMap((p) =>
      decodeRecords('kill', {
        topic: args.killEventsTopic,
        partition: p.partition,
        messages: p.pending.map((m, i) => ({ key: bytes(m.key), value: bytes(m.value), headers: m.headers ?? {}, offset: String(i), timestamp: '0', attributes: 0 })),
      }).events,
    );
    applied += await fold(
      tx,
      pending.filter((e) => !seen.has(e.id)),
    );
    const controlPositions = await positionsOf(tx, args.controlTopic);
    const wanted = new Set<string>(WORKFLOW_CONTROL_TYPES);
    await readLog(args.kafka, args.controlTopic, async (records) => {
      const upTo = controlPositions.get(records.partition)?.lastOffset ?? -1n;
      const decoded = decodeRecords('control', { ...records, messages: records.messages.filter((m) => BigInt(m.offset) <= upTo) }, (type) => wanted.has(type));
      rejected += decoded.rejected.length;
      const releases = decoded.events.flatMap((e) => (e.data.type === 'ModuleReleased' ? [e.data] : []));
      applied += await foldReleases(tx, releases);
    });
  });
  return { projection: WORKFLOW_STATE_NAME, applied, rejected, durationMs: Date.now() - started };
}

async function fold(tx: EntityManager, events: readonly LoggedEvent<KillEvent>[]): Promise<number> {
  if (events.length === 0) return 0;
  const state = await WorkflowState.load(
    tx,
    events.map((e) => e.data.killId),
    [],
    new Date(),
    0,
  );
  let applied = 0;
  for (const e of events) {
    try {
      state.apply(e.data, e.partition);
      applied += 1;
    } catch (error) {
      // The live workflow dead-lettered what it could not fold; so does the rebuild, by leaving it out.
      if (!(error instanceof DomainError)) throw error;
    }
  }
  await state.save(tx);
  return applied;
}

async function foldReleases(tx: EntityManager, releases: readonly ModuleReleased[]): Promise<number> {
  if (releases.length === 0) return 0;
  const state = WorkflowState.empty();
  for (const r of releases) state.release(r);
  await state.save(tx);
  return releases.length;
}

/** The workflow's position in each partition of a topic, and what its unfinished transactions append to the kill log. */
async function positionsOf(tx: EntityManager, topic: string) {
  const rows = await tx.query<{ partition: number; last_offset: string; pending: Buffer }[]>(
    `SELECT partition, last_offset::text AS last_offset, pending FROM step_positions WHERE step = $1 AND topic = $2`,
    [WORKFLOW_STEP, topic],
  );
  return new Map(
    rows.map((r) => [
      r.partition,
      { partition: r.partition, lastOffset: BigInt(r.last_offset), pending: decodePending(r.pending).filter((p) => p.topic === topic).map((p) => p.message) },
    ]),
  );
}

function bytes(v: string | Buffer | null | undefined): Buffer | null {
  return v === null || v === undefined ? null : Buffer.from(v);
}
