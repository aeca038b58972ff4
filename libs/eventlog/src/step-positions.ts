import type { IHeaders, Message } from 'kafkajs';
import type { EntityManager } from 'typeorm';

/**
 * Where a transactional step has got to in each input partition, kept in the
 * step's Postgres transaction, with the records its last Kafka transaction
 * for that partition sends. The Postgres transaction commits before the Kafka
 * one; if the Kafka one then fails, the partition is delivered again from its
 * committed offset, and the step must send the same records again instead of
 * handling the input twice. Records at or before `lastOffset` coming back mean
 * exactly that: nothing else commits past them.
 */
export interface StepPosition {
  readonly topic: string;
  readonly partition: number;
  readonly lastOffset: string;
  /** Everything the partition's pending Kafka transaction sends (outputs and dead letters). */
  readonly pending: readonly PendingOutput[];
}

export interface PendingOutput {
  readonly topic: string;
  readonly message: Message;
}

export const STEP_POSITIONS_DDL = `CREATE TABLE IF NOT EXISTS {schema}.step_positions (
  step text NOT NULL,
  topic text NOT NULL,
  partition int NOT NULL,
  last_offset bigint NOT NULL,
  pending bytea NOT NULL,
  PRIMARY KEY (step, topic, partition)
)`;

/** The pending records are protobuf, which barely compresses: not worth the CPU on every round. */
export const STEP_POSITIONS_STORAGE_DDL = `ALTER TABLE {schema}.step_positions ALTER COLUMN pending SET STORAGE EXTERNAL`;

/** Where a step has got to in a partition: `StepPosition` without its pending records, which are only read when needed. */
export type StoredPosition = Omit<StepPosition, 'pending'>;

/**
 * The positions of the slots named. The pending records are left in the
 * database: they are only wanted when a partition's records come back after
 * a failed Kafka transaction (see `loadPending`), and reading and decoding
 * them on every round would cost as much as writing them.
 */
export async function loadPositions(tx: EntityManager, step: string, slots: readonly { topic: string; partition: number }[]): Promise<Map<string, StoredPosition>> {
  if (slots.length === 0) return new Map();
  await lockSlots(tx, step, slots);
  const rows = await tx.query<{ topic: string; partition: number; last_offset: string }[]>(
    `SELECT topic, partition, last_offset::text AS last_offset FROM step_positions
      WHERE step = $1 AND (topic, partition) IN (SELECT * FROM unnest($2::text[], $3::int[]))`,
    [step, slots.map((s) => s.topic), slots.map((s) => s.partition)],
  );
  return new Map(rows.map((r) => [slotKey(r.topic, r.partition), { topic: r.topic, partition: r.partition, lastOffset: r.last_offset }]));
}

/**
 * Holds the slots' positions for the rest of the transaction, in one order.
 * Two members of a group handle one partition at once when a round outlasts
 * a rebalance (the partition is given to another while the first is still at
 * it): the second then reads the position only once the first has stored
 * its own, and so finds the first's records as handled and sends its stored
 * records, instead of handling them afresh and storing over them.
 */
async function lockSlots(tx: EntityManager, step: string, slots: readonly { topic: string; partition: number }[]): Promise<void> {
  const keys = [...new Set(slots.map((s) => `step-position\n${step}\n${s.topic}\n${s.partition}`))].sort();
  await tx.query('SELECT pg_advisory_xact_lock(hashtext(key)) FROM unnest($1::text[]) WITH ORDINALITY AS l(key, n) ORDER BY n', [keys]);
}

/** The pending records of the slots named, as stored with their positions. */
export async function loadPending(tx: EntityManager, step: string, slots: readonly { topic: string; partition: number }[]): Promise<Map<string, StepPosition>> {
  if (slots.length === 0) return new Map();
  const rows = await tx.query<{ topic: string; partition: number; last_offset: string; pending: Buffer }[]>(
    `SELECT topic, partition, last_offset::text AS last_offset, pending FROM step_positions
      WHERE step = $1 AND (topic, partition) IN (SELECT * FROM unnest($2::text[], $3::int[]))`,
    [step, slots.map((s) => s.topic), slots.map((s) => s.partition)],
  );
  return new Map(rows.map((r) => [slotKey(r.topic, r.partition), { topic: r.topic, partition: r.partition, lastOffset: r.last_offset, pending: decodePending(r.pending) }]));
}

export async function storePositions(tx: EntityManager, step: string, positions: readonly StepPosition[]): Promise<void> {
  if (positions.length === 0) return;
  // One parameter per value: the driver sends a Buffer as binary, where a bytea[] would be escaped as text.
  const rows = positions.map((_, i) => `($1, $${4 * i + 2}, $${4 * i + 3}::int, $${4 * i + 4}::bigint, $${4 * i + 5}::bytea)`);
  await tx.query(
    `INSERT INTO step_positions (step, topic, partition, last_offset, pending) VALUES ${rows.join(', ')}
     ON CONFLICT (step, topic, partition) DO UPDATE SET last_offset = EXCLUDED.last_offset, pending = EXCLUDED.pending`,
    [step, ...positions.flatMap((p) => [p.topic, p.partition, p.lastOffset, encodePending(p.pending)])],
  );
}

export function slotKey(topic: string, partition: number): string {
  return `${topic}\u0000${partition}`;
}

/*
 * A compact binary form of the pending records: for each, the topic, key,
 * value and headers as length-prefixed byte strings (-1 for absent).
 */
export function encodePending(outputs: readonly PendingOutput[]): Buffer {
  // Sized first, then written in place: strings go straight into the buffer, with no copy of their own.
  const size = (v: string | Buffer | null) => 4 + (v === null ? 0 : typeof v === 'string' ? Buffer.byteLength(v) : v.length);
  let total = 4;
  for (const { topic, message } of outputs) {
    total += size(topic) + size(message.key ?? null) + size(message.value ?? null) + 4;
    forEachHeader(message.headers, (name, v) => (total += size(name) + size(v)));
  }
  // One allocation for the lot: a round's outputs can be many and large.
  const out = Buffer.allocUnsafe(total);
  let at = out.writeUInt32BE(outputs.length, 0);
  const put = (v: string | Buffer | null) => {
    if (v === null) {
      at = out.writeInt32BE(-1, at);
    } else if (typeof v === 'string') {
      const length = out.write(v, at + 4);
      out.writeUInt32BE(length, at);
      at += 4 + length;
    } else {
      at = out.writeUInt32BE(v.length, at);
      at += v.copy(out, at);
    }
  };
  for (const { topic, message } of outputs) {
    put(topic);
    put(message.key ?? null);
    put(message.value ?? null);
    let count = 0;
    forEachHeader(message.headers, () => count++);
    at = out.writeUInt32BE(count, at);
    forEachHeader(message.headers, (name, v) => {
      put(name);
      put(v);
    });
  }
  return out;
}

export function decodePending(buffer: Buffer): PendingOutput[] {
  let at = 0;
  const readU32 = () => {
    const v = buffer.readUInt32BE(at);
    at += 4;
    return v;
  };
  const readBytes = (): Buffer | null => {
    const length = buffer.readInt32BE(at);
    at += 4;
    if (length < 0) return null;
    const v = buffer.subarray(at, at + length);
    at += length;
    return Buffer.from(v);
  };
  const out: PendingOutput[] = [];
  for (let n = readU32(), i = 0; i < n; i++) {
    const topic = readBytes()!.toString();
    const key = readBytes();
    const value = readBytes();
    const headers: IHeaders = {};
    for (let h = readU32(), j = 0; j < h; j++) {
      const name = readBytes()!.toString();
      const v = readBytes()!;
      const prev = headers[name];
      headers[name] = prev === undefined ? v : [...(Array.isArray(prev) ? prev : [prev]), v];
    }
    out.push({ topic, message: { key, value, headers } });
  }
  return out;
}

function forEachHeader(headers: IHeaders | undefined, each: (name: string, value: string | Buffer) => void): void {
  if (headers === undefined) return;
  for (const name in headers) {
    const value = headers[name];
    if (value === undefined) continue;
    if (Array.isArray(value)) for (const v of value) each(name, v);
    else each(name, value);
  }
}
