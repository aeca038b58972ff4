import { Column, Entity, In, PrimaryColumn, type EntityManager, type EntityTarget, type ObjectLiteral } from 'typeorm';
import type { KafkaMessage } from 'kafkajs';
import { isKnownType, type StreamEvents, type StreamName } from '@medic/contracts';
import { fromKafkaMessage, header, type LoggedEvent } from './envelope';

/**
 * A read model folded from the log: a pure `evolve(row | null, event)` plus the
 * event types it handles. The runner stores each row and the consumed offset in
 * one transaction, so a projection never double-applies an event.
 */
export interface Projection<S extends StreamName, Row extends ObjectLiteral> {
  readonly name: string;
  readonly stream: S;
  readonly entity: EntityTarget<Row>;
  readonly handles: readonly StreamEvents[S]['type'][];
  keyOf(event: LoggedEvent<StreamEvents[S]>): string;
  evolve(row: Row | null, event: LoggedEvent<StreamEvents[S]>): Row | null;
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

/** Serialises writers of one projection (live runner and rebuild) inside their transactions. */
export async function lockProjection(tx: EntityManager, name: string): Promise<void> {
  await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`projection:${name}`]);
}

export async function storedOffset(tx: EntityManager, name: string, topic: string, partition: number): Promise<bigint | null> {
  const row = await tx.findOneBy(ProjectionOffset, { projection: name, topic, partition });
  return row ? BigInt(row.offset) : null;
}

/** Applies one partition's records to a projection; call inside a transaction. Returns how many events were applied. */
export async function applyRecords<S extends StreamName, Row extends ObjectLiteral>(
  tx: EntityManager,
  projection: Projection<S, Row>,
  records: RawRecords,
): Promise<number> {
  const last = records.messages[records.messages.length - 1];
  if (!last) return 0;
  await lockProjection(tx, projection.name);
  const done = await storedOffset(tx, projection.name, records.topic, records.partition);
  const fresh = records.messages.filter((m) => done === null || BigInt(m.offset) > done);
  if (fresh.length === 0) return 0;

  const events = decodeHandled(projection, records.topic, records.partition, fresh);
  await foldAndStore(tx, projection, events);
  await tx.upsert(
    ProjectionOffset,
    { projection: projection.name, topic: records.topic, partition: records.partition, offset: last.offset },
    ['projection', 'topic', 'partition'],
  );
  return events.length;
}

function decodeHandled<S extends StreamName, Row extends ObjectLiteral>(
  projection: Projection<S, Row>,
  topic: string,
  partition: number,
  messages: readonly KafkaMessage[],
): LoggedEvent<StreamEvents[S]>[] {
  const wanted = new Set<string>(projection.handles);
  const out: LoggedEvent<StreamEvents[S]>[] = [];
  for (const m of messages) {
    const ceType = header(m.headers, 'ce_type');
    // Types this build does not know were written by a newer version; they are not ours to fold.
    if (ceType === null || !isKnownType(projection.stream, ceType)) continue;
    if (!wanted.has(ceType.slice(ceType.lastIndexOf('.') + 1))) continue;
    out.push(fromKafkaMessage(projection.stream, { topic, partition, offset: m.offset, value: m.value, headers: m.headers }));
  }
  return out;
}

async function foldAndStore<S extends StreamName, Row extends ObjectLiteral>(
  tx: EntityManager,
  projection: Projection<S, Row>,
  events: readonly LoggedEvent<StreamEvents[S]>[],
): Promise<void> {
  if (events.length === 0) return;
  const meta = tx.connection.getMetadata(projection.entity);
  const pk = meta.primaryColumns[0]!.propertyName;
  const keys = [...new Set(events.map((e) => projection.keyOf(e)))];
  const existing = await tx.findBy(projection.entity, { [pk]: In(keys) } as never);
  const rows = new Map<string, Row | null>(existing.map((r) => [String((r as Record<string, unknown>)[pk]), r]));
  for (const e of events) {
    const key = projection.keyOf(e);
    rows.set(key, projection.evolve(rows.get(key) ?? null, e));
  }
  const upserts = [...rows.values()].filter((r): r is Row => r !== null);
  const deletes = [...rows.entries()].filter(([, r]) => r === null).map(([k]) => k);
  if (upserts.length > 0) await tx.upsert(projection.entity, upserts, [pk]);
  if (deletes.length > 0) await tx.delete(projection.entity, { [pk]: In(deletes) });
}
