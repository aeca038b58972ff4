import { Column, Entity, In, PrimaryColumn, type DataSource, type EntityManager, type EntityTarget, type ObjectLiteral } from 'typeorm';
import type { KafkaMessage } from 'kafkajs';
import type { StreamEvents, StreamName } from '@medic/contracts';
import { sliceForStatement, upsertRows } from './chunks';
import { decodeRecords, type RejectedRecord } from './dead-letters';
import type { LoggedEvent } from './envelope';
import { messageOf } from './failure-streak';

/** What a projection made of a partition's records: the events it folds, and the records it cannot read. */
export interface ReadRecords<E> {
  readonly events: readonly E[];
  readonly rejected: readonly RejectedRecord[];
}

/**
 * A read model folded from a topic: a reader that turns records into events,
 * and a pure `evolve(row | null, event)`. The runner stores each row and the
 * consumed offset in one transaction, so a projection never double-applies a
 * record; records the reader or `evolve` cannot handle are dead-lettered.
 */
/** Each event a projection folds says which record it came from. */
export interface Positioned {
  readonly offset: string;
}

export interface Projection<E extends Positioned, Row extends ObjectLiteral> {
  readonly name: string;
  /** Raise it when what the rows hold changes: the rows are then dropped and folded again from the log. Default 1. */
  readonly version?: number;
  readonly entity: EntityTarget<Row>;
  /**
   * The rows that are this projection's, when projections of several topics
   * share its table (column values they all have): what a rebuild or a new
   * version empties. Default: the whole table.
   */
  readonly owns?: Readonly<Record<string, string>>;
  read(records: RawRecords): ReadRecords<E>;
  keyOf(event: E): string;
  /**
   * The row after the event: a new object when it changed, the row it was
   * given when the event changes nothing (that row is then not written again),
   * null to delete it. Never changes the row it is given.
   */
  evolve(row: Row | null, event: E): Row | null;
  /**
   * What a row counts toward (say `outcome:deny`): the projection keeps how
   * many of its rows count toward each, updated with the rows and rebuilt with
   * them, so that reading a count costs one row however many rows there are
   * (see `readTallies`). Pure, like `evolve`.
   */
  tally?(row: Row): readonly string[];
}

/** A projection of one stream of the event log. */
export type StreamProjection<S extends StreamName, Row extends ObjectLiteral> = Projection<LoggedEvent<StreamEvents[S]>, Row>;

/** Any projection, as the runner and rebuild see it. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyProjection = Projection<any, ObjectLiteral>;

/**
 * The reader of a stream projection: decodes the event types it handles and
 * names the records it cannot read (an unknown type or version, bytes that do
 * not decode). Types it does not handle are left undecoded.
 */
export function readStream<S extends StreamName>(stream: S, handles: readonly StreamEvents[S]['type'][]): (records: RawRecords) => ReadRecords<LoggedEvent<StreamEvents[S]>> {
  const wanted = new Set<string>(handles);
  return (records) => decodeRecords(stream, records, (type) => wanted.has(type));
}

/** How far each projection has read each partition (in the owning service's schema). */
@Entity({ name: 'projection_offsets' })
export class ProjectionOffset {
  @PrimaryColumn('text') projection!: string;
  @PrimaryColumn('text') topic!: string;
  @PrimaryColumn('int') partition!: number;
  @Column('bigint') offset!: string;
}

export interface RawRecords {
  readonly topic: string;
  readonly partition: number;
  readonly messages: readonly KafkaMessage[];
}

export interface Applied {
  /** Events folded into the projection. */
  readonly applied: number;
  readonly rejected: readonly RejectedRecord[];
  /** Of `rejected`, those `evolve` threw on (the others could not be read). */
  readonly failed: readonly RejectedRecord[];
}

/** Serialises writers of one projection (live runner and rebuild) inside their transactions. */
export async function lockProjection(tx: EntityManager, name: string): Promise<void> {
  await lockProjections(tx, [name]);
}

/** `lockProjection` for several in one statement: unnest gives them in the order given, so the locks are taken in that order. */
async function lockProjections(tx: EntityManager, names: readonly string[]): Promise<void> {
  await tx.query('SELECT pg_advisory_xact_lock(hashtext(key)) FROM unnest($1::text[]) AS l(key)', [names.map((name) => `projection:${name}`)]);
}

export async function storedOffset(tx: EntityManager, name: string, topic: string, partition: number): Promise<bigint | null> {
  const row = await tx.findOneBy(ProjectionOffset, { projection: name, topic, partition });
  return row ? BigInt(row.offset) : null;
}

/**
 * Drops a projection's rows and positions when they were written by another
 * version of it (or before versions were kept), so the runner folds it again
 * from offset 0. Returns whether it did.
 */
export async function refoldIfChanged(dataSource: DataSource, projection: AnyProjection): Promise<boolean> {
  const version = projection.version ?? 1;
  return dataSource.transaction(async (tx) => {
    await lockProjection(tx, projection.name);
    const [stored] = await tx.query<{ version: number }[]>('SELECT version FROM projection_versions WHERE projection = $1', [projection.name]);
    if (stored?.version === version) return false;
    const hasRows = stored !== undefined || (await tx.count(ProjectionOffset, { where: { projection: projection.name } })) > 0;
    if (hasRows) await clearProjection(tx, projection);
    await storeVersion(tx, projection);
    return hasRows;
  });
}

export async function clearProjection(tx: EntityManager, projection: AnyProjection): Promise<void> {
  const rows = tx.createQueryBuilder().delete().from(projection.entity);
  await (projection.owns ? rows.where(projection.owns) : rows).execute();
  await tx.delete(ProjectionOffset, { projection: projection.name });
  await tx.query('DELETE FROM projection_tallies WHERE projection = $1', [projection.name]);
}

/** How many of a projection's rows count toward each of its tallies (see `Projection.tally`); a tally no row counts toward is left out. */
export async function readTallies(db: Pick<EntityManager, 'query'>, projection: string): Promise<Map<string, number>> {
  const rows = await db.query<{ tally: string; n: string }[]>('SELECT tally, n::text AS n FROM projection_tallies WHERE projection = $1 AND n <> 0', [projection]);
  return new Map(rows.map((r) => [r.tally, Number(r.n)]));
}

/** The change a round makes to each tally: what the rows it changed counted toward before, taken away, and what they count toward now, added. */
export function tallyChanges<Row>(tally: (row: Row) => readonly string[], before: Iterable<Row>, after: Iterable<Row>): Map<string, number> {
  const change = new Map<string, number>();
  const add = (row: Row, by: number) => {
    for (const t of tally(row)) change.set(t, (change.get(t) ?? 0) + by);
  };
  for (const row of before) add(row, -1);
  for (const row of after) add(row, 1);
  for (const [t, n] of change) if (n === 0) change.delete(t);
  return change;
}

async function storeTallies(tx: EntityManager, projection: string, change: ReadonlyMap<string, number>): Promise<void> {
  if (change.size === 0) return;
  await tx.query(
    `INSERT INTO projection_tallies (projection, tally, n) SELECT $1, t, n FROM unnest($2::text[], $3::bigint[]) AS c(t, n)
     ON CONFLICT (projection, tally) DO UPDATE SET n = projection_tallies.n + EXCLUDED.n`,
    [projection, [...change.keys()], [...change.values()]],
  );
}

export async function storeVersion(tx: EntityManager, projection: AnyProjection): Promise<void> {
  await tx.query(
    `INSERT INTO projection_versions (projection, version) VALUES ($1, $2) ON CONFLICT (projection) DO UPDATE SET version = EXCLUDED.version`,
    [projection.name, projection.version ?? 1],
  );
}

/** Moves a projection's position past `offset` (never back). */
export async function advanceOffset(tx: EntityManager, name: string, topic: string, partition: number, offset: string): Promise<void> {
  await advanceOffsets(tx, [name], topic, partition, offset);
}

/** `advanceOffset` for several projections in one statement. */
async function advanceOffsets(tx: EntityManager, names: readonly string[], topic: string, partition: number, offset: string): Promise<void> {
  await tx.query(
    `INSERT INTO projection_offsets (projection, topic, partition, "offset") SELECT name, $2, $3, $4::bigint FROM unnest($1::text[]) AS m(name)
     ON CONFLICT (projection, topic, partition) DO UPDATE SET "offset" = GREATEST(projection_offsets."offset", EXCLUDED."offset")`,
    [names, topic, partition, offset],
  );
}

/**
 * Applies one partition's records to a projection; call inside a transaction.
 * Records at or before the stored offset were applied already and are skipped.
 */
export async function applyRecords<E extends Positioned, Row extends ObjectLiteral>(tx: EntityManager, projection: Projection<E, Row>, records: RawRecords): Promise<Applied> {
  return (await applyRecordsToAll(tx, [projection as AnyProjection], records)).get(projection.name)!;
}

const NOTHING_APPLIED: Applied = { applied: 0, rejected: [], failed: [] };

/**
 * `applyRecords` for several projections of one topic at once, in the order given: one
 * statement takes their locks, one reads their positions and one moves them, whatever
 * their number, so a batch that most of them pass by costs three statements, not three
 * per projection.
 */
export async function applyRecordsToAll(tx: EntityManager, projections: readonly AnyProjection[], records: RawRecords): Promise<Map<string, Applied>> {
  const results = new Map<string, Applied>(projections.map((p) => [p.name, NOTHING_APPLIED]));
  const last = records.messages[records.messages.length - 1];
  if (!last || projections.length === 0) return results;
  const names = projections.map((p) => p.name);
  await lockProjections(tx, names);
  const stored = await tx.query<{ projection: string; offset: string }[]>(
    'SELECT projection, "offset"::text AS "offset" FROM projection_offsets WHERE projection = ANY($1) AND topic = $2 AND partition = $3',
    [names, records.topic, records.partition],
  );
  const done = new Map(stored.map((r) => [r.projection, BigInt(r.offset)]));
  const moved: string[] = [];
  for (const projection of projections) {
    const before = done.get(projection.name);
    const fresh = records.messages.filter((m) => before === undefined || BigInt(m.offset) > before);
    if (fresh.length === 0) continue;
    const { events, rejected } = projection.read({ ...records, messages: fresh });
    const failed = await foldAndStore(tx, projection, events);
    results.set(projection.name, { applied: events.length - failed.length, rejected: [...rejected, ...failed], failed });
    moved.push(projection.name);
  }
  if (moved.length > 0) await advanceOffsets(tx, moved, records.topic, records.partition, last.offset);
  return results;
}

/** Folds the events into their rows; an event `evolve` throws on is left out and reported. */
async function foldAndStore<E extends Positioned, Row extends ObjectLiteral>(tx: EntityManager, projection: Projection<E, Row>, events: readonly E[]): Promise<RejectedRecord[]> {
  if (events.length === 0) return [];
  const meta = tx.connection.getMetadata(projection.entity);
  const pk = meta.primaryColumns[0]!.propertyName;
  const keys = [...new Set(events.map((e) => projection.keyOf(e)))];
  // A round may touch thousands of rows: every statement is cut to what the wire protocol takes.
  const existing: Row[] = [];
  for (const slice of sliceForStatement(keys, 1)) existing.push(...(await tx.findBy(projection.entity, { [pk]: In(slice) } as never)));
  const rows = new Map<string, Row | null>(existing.map((r) => [String((r as Record<string, unknown>)[pk]), r]));
  const failed: RejectedRecord[] = [];
  for (const e of events) {
    const key = projection.keyOf(e);
    try {
      rows.set(key, projection.evolve(rows.get(key) ?? null, e));
    } catch (error) {
      failed.push({ offset: e.offset, code: 'projection_failed', reason: `${projection.name}: ${messageOf(error)}` });
    }
  }
  const kept = [...rows.values()].filter((r): r is Row => r !== null);
  // A row `evolve` gave back as it was read (the same object) is not written again.
  const loaded = new Set<Row>(existing);
  const changed = kept.filter((r) => !loaded.has(r));
  const deletes = [...rows.entries()].filter(([, r]) => r === null).map(([k]) => k);
  await upsertRows(tx, projection.entity, changed, [pk]);
  for (const slice of sliceForStatement(deletes, 1)) await tx.delete(projection.entity, { [pk]: In(slice) });
  if (projection.tally) await storeTallies(tx, projection.name, tallyChanges(projection.tally.bind(projection), existing, kept));
  return failed;
}
