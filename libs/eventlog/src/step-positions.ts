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

export async function loadPositions(tx: EntityManager, step: string, slots: readonly { topic: string; partition: number }[]): Promise<Map<string, StepPosition>> {
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
  const fields = (value: string | Buffer | null): Buffer | null => (value === null ? null : typeof value === 'string' ? Buffer.from(value) : value);
  const records = outputs.map(({ topic, message }) => ({
    topic: fields(topic)!,
    key: fields(message.key ?? null),
    value: fields(message.value ?? null),
    headers: flatHeaders(message.headers).map(([name, v]) => [fields(name)!, fields(v)!] as const),
  }));
  const size = (b: Buffer | null) => 4 + (b?.length ?? 0);
  let total = 4;
  for (const r of records) total += size(r.topic) + size(r.key) + size(r.value) + 4 + r.headers.reduce((n, [name, v]) => n + size(name) + size(v), 0);
  // One allocation for the lot: a round's outputs can be many and large.
  const out = Buffer.allocUnsafe(total);
  let at = out.writeUInt32BE(records.length, 0);
  const put = (b: Buffer | null) => {
    if (b === null) {
      at = out.writeInt32BE(-1, at);
      return;
    }
    at = out.writeUInt32BE(b.length, at);
    at += b.copy(out, at);
  };
  for (const r of records) {
    put(r.topic);
    put(r.key);
    put(r.value);
    at = out.writeUInt32BE(r.headers.length, at);
    for (const [name, v] of r.headers) {
      put(name);
      put(v);
    }
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

function flatHeaders(headers: IHeaders | undefined): [string, string | Buffer][] {
  const out: [string, string | Buffer][] = [];
  for (const [name, value] of Object.entries(headers ?? {})) {
    if (value === undefined) continue;
    for (const v of Array.isArray(value) ? value : [value]) out.push([name, v]);
  }
  return out;
}
