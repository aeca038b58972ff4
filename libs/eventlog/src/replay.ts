import type { Kafka, KafkaMessage } from 'kafkajs';
import type { DataSource, EntityManager } from 'typeorm';
import type { StreamEvents, StreamName } from '@medic/contracts';
import { decodeRecords } from './dead-letters';
import { header, type LoggedEvent } from './envelope';
import { readLog } from './log-reader';
import { decodePending } from './step-positions';
import { applyRecords, clearProjection, lockProjection, storeVersion, type AnyProjection } from './projection';

export interface RebuildResult {
  readonly projection: string;
  readonly applied: number;
  /** Records the projection could not read or fold, as the live runner would have dead-lettered them. */
  readonly rejected: number;
  readonly durationMs: number;
}

/**
 * Drops a projection and folds it again from offset 0, in one transaction that
 * holds the projection's lock, so the live runner waits and then carries on from
 * the rebuilt offsets. A rebuilt projection equals the live one.
 */
export async function rebuildProjection(args: { kafka: Kafka; dataSource: DataSource; projection: AnyProjection; topic: string }): Promise<RebuildResult> {
  const started = process.hrtime.bigint();
  const { kafka, dataSource, projection, topic } = args;
  let applied = 0;
  let rejected = 0;
  await dataSource.transaction(async (tx) => {
    await lockProjection(tx, projection.name);
    await clearProjection(tx, projection);
    await storeVersion(tx, projection);
    await readLog(kafka, topic, async (records) => {
      const result = await applyRecords(tx, projection, records);
      applied += result.applied;
      rejected += result.rejected.length;
    });
  });
  return { projection: projection.name, applied, rejected, durationMs: Number((process.hrtime.bigint() - started) / 1_000_000n) };
}

export interface StepHistory<S extends StreamName> {
  readonly kafka: Kafka;
  readonly tx: EntityManager;
  readonly stream: S;
  readonly topic: string;
  /** The step whose position in `topic` bounds what it has read of others' events: later ones are still to come to it. */
  readonly step: string;
  /** Sources whose events count wherever they stand in the log: what the service itself appended. */
  readonly ownSources: readonly string[];
  /** Steps whose committed rounds may still be appending to `topic` (their pending outputs count too). */
  readonly pendingOf: readonly string[];
  readonly wanted?: (type: string) => boolean;
  /** Folds events in log order, per partition; returns how many it applied. */
  fold(events: readonly LoggedEvent<StreamEvents[S]>[]): Promise<number>;
}

/**
 * Folds what a service's step has folded, for a rebuild of its state: the
 * events from elsewhere up to the step's position in each partition, every
 * event the service appended itself, and what committed rounds whose Kafka
 * transactions have not finished are about to append (once each: an output
 * already on the log is not folded twice).
 */
export async function foldStepHistory<S extends StreamName>(h: StepHistory<S>): Promise<{ applied: number; rejected: number }> {
  const own = new Set(h.ownSources);
  const upTo = await positionsIn(h.tx, h.step, h.topic);
  const seen = new Set<string>();
  let applied = 0;
  let rejected = 0;
  await readLog(h.kafka, h.topic, async (records) => {
    const last = upTo.get(records.partition) ?? -1n;
    const messages = records.messages.filter((m) => own.has(header(m.headers, 'ce_source') ?? '') || BigInt(m.offset) <= last);
    const decoded = decodeRecords(h.stream, { ...records, messages }, h.wanted);
    rejected += decoded.rejected.length;
    for (const e of decoded.events) seen.add(e.id);
    applied += await h.fold(decoded.events);
  });
  const pending = await pendingOutputs(h.tx, h.pendingOf, h.topic);
  const decoded = decodeRecords(h.stream, { topic: h.topic, partition: 0, messages: pending }, h.wanted);
  applied += await h.fold(decoded.events.filter((e) => !seen.has(e.id)));
  return { applied, rejected };
}

/** A service's own state to rebuild: its tables, and how to fold its step's history into them (see foldStepHistory). */
export interface StepStateRebuild<S extends StreamName> extends Omit<StepHistory<S>, 'tx' | 'fold'> {
  /** What `medic replay rebuild` calls it. */
  readonly name: string;
  readonly dataSource: DataSource;
  /** The state's tables (names from the code, never from input), emptied first. */
  readonly tables: readonly string[];
  fold(tx: EntityManager, events: readonly LoggedEvent<StreamEvents[S]>[]): Promise<number>;
}

/** Empties a service's state and folds it again from its step's history, in one transaction. */
export function rebuildStepState<S extends StreamName>(r: StepStateRebuild<S>): Promise<RebuildResult> {
  return rebuildState(r.name, r.dataSource, r.tables, (tx) => foldStepHistory({ ...r, tx, fold: (events) => r.fold(tx, events) }));
}

/**
 * Empties a service's state (`tables`, names from the code, never from input) and refills it
 * with `fold`, in one transaction: a running step waits for it, then carries on from the
 * rebuilt state.
 */
export async function rebuildState(
  name: string,
  dataSource: DataSource,
  tables: readonly string[],
  fold: (tx: EntityManager) => Promise<{ applied: number; rejected: number }>,
): Promise<RebuildResult> {
  const started = Date.now();
  const result = await dataSource.transaction(async (tx) => {
    await tx.query(`TRUNCATE ${tables.join(', ')}`);
    return fold(tx);
  });
  return { projection: name, ...result, durationMs: Date.now() - started };
}

async function positionsIn(tx: EntityManager, step: string, topic: string): Promise<Map<number, bigint>> {
  const rows = await tx.query<{ partition: number; last_offset: string }[]>(`SELECT partition, last_offset::text AS last_offset FROM step_positions WHERE step = $1 AND topic = $2`, [step, topic]);
  return new Map(rows.map((r) => [r.partition, BigInt(r.last_offset)]));
}

/** The outputs to `topic` that the steps' committed rounds have yet to see through, as records. */
async function pendingOutputs(tx: EntityManager, steps: readonly string[], topic: string): Promise<KafkaMessage[]> {
  if (steps.length === 0) return [];
  const rows = await tx.query<{ pending: Buffer }[]>(`SELECT pending FROM step_positions WHERE step = ANY($1) ORDER BY step, topic, partition`, [[...steps]]);
  return rows
    .flatMap((r) => decodePending(r.pending))
    .filter((p) => p.topic === topic)
    .map((p, i) => ({ key: bytes(p.message.key), value: bytes(p.message.value), headers: p.message.headers ?? {}, offset: String(i), timestamp: '0', attributes: 0 }));
}

function bytes(v: string | Buffer | null | undefined): Buffer | null {
  return v === null || v === undefined ? null : Buffer.from(v);
}
