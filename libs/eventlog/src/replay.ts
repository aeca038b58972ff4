import type { Kafka, KafkaMessage } from 'kafkajs';
import type { DataSource, EntityManager } from 'typeorm';
import type { StreamEvents, StreamName } from '@medic/contracts';
import { decodeRecords, type DeadLetterInfo } from './dead-letters';
import { header, type LoggedEvent } from './envelope';
import { readLog } from './log-reader';
import { advanceOffset, applyRecords, clearProjection, lockProjection, storeVersion, type AnyProjection } from './projection';
import { DeadLetters, foldGuarded, RebuildRecords, type RecordAt, type SkippedRecord } from './rebuild-records';
import { decodePending } from './step-positions';

export interface RebuildResult {
  readonly projection: string;
  readonly applied: number;
  /** Records the rebuild could not read and the live step did not dead-letter (a live step that reads them dead-letters them). */
  readonly rejected: number;
  /** Records left out because the live step left them out: it dead-lettered them. */
  readonly skipped: readonly SkippedRecord[];
  readonly durationMs: number;
}

export interface ProjectionRebuild {
  readonly kafka: Kafka;
  readonly dataSource: DataSource;
  readonly projection: AnyProjection;
  readonly topic: string;
  /** The live step that folds the projection (its name in its dead letters), and where it dead-letters (medic.dlq.internal). */
  readonly live: { readonly step: string; readonly deadLetterTopic: string };
}

/**
 * Drops a projection and folds it again from offset 0, in one transaction that
 * holds the projection's lock, so the live runner waits and then carries on from
 * the rebuilt offsets. A rebuilt projection equals the live one: a record the
 * live step rolled back and dead-lettered is left out again, one that fails to
 * fold is left out if the live step dead-lettered it, and any other that fails
 * ends the rebuild with `RebuildFailed`, the live projection untouched.
 */
export async function rebuildProjection(args: ProjectionRebuild): Promise<RebuildResult> {
  const started = process.hrtime.bigint();
  const { kafka, dataSource, projection, topic, live } = args;
  const version = `${projection.name}@${projection.version ?? 1}`;
  let applied = 0;
  const outcome = await dataSource.transaction(async (tx) => {
    await lockProjection(tx, projection.name);
    const reached = await projectionPositions(tx, projection.name, topic);
    // The runner of the dead-letter topic itself has nowhere to dead-letter: it passes over what it cannot fold.
    const passesOver = topic === live.deadLetterTopic;
    const dead = passesOver ? DeadLetters.NONE : await DeadLetters.read(kafka, tx, { deadLetterTopic: live.deadLetterTopic, step: live.step, topic });
    const records = new RebuildRecords(projection.name, live.step, dead, passesOver);
    await clearProjection(tx, projection);
    await storeVersion(tx, projection);
    await readLog(kafka, topic, async (batch) => {
      const at = (m: KafkaMessage): RecordAt => ({ topic, partition: batch.partition, offset: m.offset, type: header(m.headers, 'ce_type') });
      // What the live step rolled back whole, it left out of this projection; so does the rebuild.
      const undone = new Set(batch.messages.filter((m) => rolledBackOf(records.deadLetterOf(at(m)), version)));
      for (const m of undone) {
        const read = projection.read({ ...batch, messages: [m] });
        // Listed only when the projection reads such a record at all.
        if (read.events.length + read.rejected.length > 0) records.undone(at(m), records.deadLetterOf(at(m))!);
      }
      const messages = batch.messages.filter((m) => !undone.has(m));
      const hint = (m: KafkaMessage) => (BigInt(m.offset) > (reached.get(batch.partition) ?? -1n) ? 'the live step has not reached it yet: rebuild again once it has' : null);
      applied += await foldGuarded(
        tx,
        messages,
        async (some) => {
          const result = await applyRecords(tx, projection, { ...batch, messages: some });
          const failed = new Set(result.failed.map((r) => r.offset));
          const byOffset = new Map(some.map((m) => [m.offset, m]));
          for (const r of result.rejected) {
            const m = byOffset.get(r.offset)!;
            if (failed.has(r.offset)) records.failed(at(m), new Error(r.reason), hint(m));
            else records.unread(at(m));
          }
          return result.applied;
        },
        (m, error) => records.failed(at(m), error, hint(m)),
      );
      // Past the records left out too, as the live runner is.
      const last = batch.messages[batch.messages.length - 1];
      if (last) await advanceOffset(tx, projection.name, topic, batch.partition, last.offset);
    });
    return records;
  });
  return {
    projection: projection.name,
    applied,
    rejected: outcome.unreadable,
    skipped: outcome.skipped,
    durationMs: Number((process.hrtime.bigint() - started) / 1_000_000n),
  };
}

/** Whether a dead letter says the live step undid its fold of the record into this projection (`name@version`) or into everything it keeps. */
function rolledBackOf(letter: DeadLetterInfo | undefined, version: string): boolean {
  const undone = letter?.rolledBack;
  return undone !== null && undone !== undefined && (undone === '*' || undone.split(',').includes(version));
}

async function projectionPositions(tx: EntityManager, name: string, topic: string): Promise<Map<number, bigint>> {
  const rows = await tx.query<{ partition: number; offset: string }[]>(`SELECT partition, "offset"::text AS "offset" FROM projection_offsets WHERE projection = $1 AND topic = $2`, [name, topic]);
  return new Map(rows.map((r) => [r.partition, BigInt(r.offset)]));
}

export interface StepHistory<S extends StreamName> {
  readonly kafka: Kafka;
  readonly tx: EntityManager;
  /** What `medic replay rebuild` calls the state, in what it says of a record. */
  readonly name: string;
  readonly stream: S;
  readonly topic: string;
  /** The step whose position in `topic` bounds what it has read of others' events: later ones are still to come to it. */
  readonly step: string;
  /** Where the step dead-letters (medic.dlq.internal): what it dead-lettered, the rebuild leaves out as it did. */
  readonly deadLetterTopic: string;
  /** Sources whose events count wherever they stand in the log: what the service itself appended. */
  readonly ownSources: readonly string[];
  /** Steps whose committed rounds may still be appending to `topic` (their pending outputs count too). */
  readonly pendingOf: readonly string[];
  readonly wanted?: (type: string) => boolean;
  /**
   * Folds events in log order, per partition; returns how many it applied.
   * An event the domain refuses (the state unchanged by it) goes to `refuse`
   * and the fold goes on: the rebuild leaves it out if the live step
   * dead-lettered it, and stops otherwise. Any other error undoes the batch,
   * which is then folded again event by event to find the one at fault.
   */
  fold(events: readonly LoggedEvent<StreamEvents[S]>[], refuse: (event: LoggedEvent<StreamEvents[S]>, error: unknown) => void): Promise<number>;
}

export interface StepFolded {
  readonly applied: number;
  readonly rejected: number;
  readonly skipped: readonly SkippedRecord[];
}

/**
 * Folds what a service's step has folded, for a rebuild of its state: the
 * events from elsewhere up to the step's position in each partition, every
 * event the service appended itself, and what committed rounds whose Kafka
 * transactions have not finished are about to append (once each: an output
 * already on the log is not folded twice). What the step dead-lettered is left
 * out as it was live (see RebuildRecords); a record that fails to fold and
 * that the step did not dead-letter ends the rebuild with `RebuildFailed`.
 */
export async function foldStepHistory<S extends StreamName>(h: StepHistory<S>): Promise<StepFolded> {
  const own = new Set(h.ownSources);
  const isOwn = (m: KafkaMessage) => own.has(header(m.headers, 'ce_source') ?? '');
  const upTo = await positionsIn(h.tx, h.step, h.topic);
  const records = new RebuildRecords(h.name, h.step, await DeadLetters.read(h.kafka, h.tx, { deadLetterTopic: h.deadLetterTopic, step: h.step, topic: h.topic }));
  const seen = new Set<string>();
  let applied = 0;
  const foldSome = (events: readonly LoggedEvent<StreamEvents[S]>[], pending: boolean) => {
    const at = (e: LoggedEvent<StreamEvents[S]>): RecordAt => ({ topic: h.topic, partition: e.partition, offset: pending ? null : e.offset, type: e.type });
    return foldGuarded(
      h.tx,
      events,
      async (some) => {
        const refused: [LoggedEvent<StreamEvents[S]>, unknown][] = [];
        const n = await h.fold(some, (event, error) => refused.push([event, error]));
        for (const [event, error] of refused) records.failed(at(event), error);
        return n;
      },
      (event, error) => records.failed(at(event), error),
    );
  };
  await readLog(h.kafka, h.topic, async (batch) => {
    const last = upTo.get(batch.partition) ?? -1n;
    const read = batch.messages.filter((m) => isOwn(m) || BigInt(m.offset) <= last);
    const byOffset = new Map(read.map((m) => [m.offset, m]));
    const at = (offset: string): RecordAt => ({ topic: h.topic, partition: batch.partition, offset, type: header(byOffset.get(offset)?.headers, 'ce_type') });
    // What the step read and rolled back whole, it left out; so does the rebuild (its own events it folded as it appended them).
    const undone = new Set(read.filter((m) => !isOwn(m) && records.deadLetterOf(at(m.offset))?.rolledBack === '*'));
    const left = decodeRecords(h.stream, { ...batch, messages: [...undone] }, h.wanted);
    for (const { offset } of [...left.events, ...left.rejected]) records.undone(at(offset), records.deadLetterOf(at(offset))!);
    const decoded = decodeRecords(h.stream, { ...batch, messages: read.filter((m) => !undone.has(m)) }, h.wanted);
    for (const r of decoded.rejected) records.unread(at(r.offset));
    for (const e of decoded.events) seen.add(e.id);
    applied += await foldSome(decoded.events, false);
  });
  const pending = await pendingOutputs(h.tx, h.pendingOf, h.topic);
  const decoded = decodeRecords(h.stream, { topic: h.topic, partition: 0, messages: pending }, h.wanted);
  applied += await foldSome(
    decoded.events.filter((e) => !seen.has(e.id)),
    true,
  );
  return { applied, rejected: records.unreadable, skipped: records.skipped };
}

/** A service's own state to rebuild: its tables, and how to fold its step's history into them (see foldStepHistory). */
export interface StepStateRebuild<S extends StreamName> extends Omit<StepHistory<S>, 'tx' | 'fold'> {
  readonly dataSource: DataSource;
  /** The state's tables (names from the code, never from input), emptied first. */
  readonly tables: readonly string[];
  fold(tx: EntityManager, events: readonly LoggedEvent<StreamEvents[S]>[], refuse: (event: LoggedEvent<StreamEvents[S]>, error: unknown) => void): Promise<number>;
}

/** Empties a service's state and folds it again from its step's history, in one transaction. */
export function rebuildStepState<S extends StreamName>(r: StepStateRebuild<S>): Promise<RebuildResult> {
  return rebuildState(r.name, r.dataSource, r.tables, (tx) => foldStepHistory({ ...r, tx, fold: (events, refuse) => r.fold(tx, events, refuse) }));
}

/**
 * Empties a service's state (`tables`, names from the code, never from input) and refills it
 * with `fold`, in one transaction: a running step waits for it, then carries on from the
 * rebuilt state. Should `fold` fail (a `RebuildFailed`), nothing of it is kept.
 */
export async function rebuildState(name: string, dataSource: DataSource, tables: readonly string[], fold: (tx: EntityManager) => Promise<StepFolded>): Promise<RebuildResult> {
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
