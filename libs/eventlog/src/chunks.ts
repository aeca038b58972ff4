import type { Message } from 'kafkajs';
import type { EntityManager, EntityTarget, ObjectLiteral } from 'typeorm';

/**
 * Splits records into sends the broker accepts: a produce request carries one
 * record batch per partition, which must stay under the broker's
 * message.max.bytes (1 MiB by default) however large a consumed batch was.
 */
export const MAX_SEND_BYTES = 512 * 1024;

export function sizeOf(message: Message): number {
  let size = 64 + byteLength(message.key) + byteLength(message.value);
  for (const [k, v] of Object.entries(message.headers ?? {})) {
    size += k.length + (Array.isArray(v) ? v.reduce<number>((s, x) => s + byteLength(x), 0) : byteLength(v));
  }
  return size;
}

export function chunkMessages(messages: readonly Message[], maxBytes = MAX_SEND_BYTES): Message[][] {
  const chunks: Message[][] = [];
  let current: Message[] = [];
  let bytes = 0;
  for (const m of messages) {
    const size = sizeOf(m);
    if (current.length > 0 && bytes + size > maxBytes) {
      chunks.push(current);
      current = [];
      bytes = 0;
    }
    current.push(m);
    bytes += size;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}

function byteLength(value: string | Buffer | null | undefined): number {
  if (value === null || value === undefined) return 0;
  return typeof value === 'string' ? Buffer.byteLength(value) : value.length;
}

/**
 * PostgreSQL's wire protocol counts a statement's parameters in 16 bits, so a
 * statement with more than 65,535 is refused (a protocol error, which no
 * retry mends). Statements built from a round of rows are cut well below it.
 */
export const MAX_STATEMENT_PARAMETERS = 30_000;

/** `items` in slices whose statements, at `perItem` parameters per item, stay within `maxParameters`. */
export function sliceForStatement<T>(items: readonly T[], perItem: number, maxParameters = MAX_STATEMENT_PARAMETERS): T[][] {
  const size = Math.max(1, Math.floor(maxParameters / Math.max(1, perItem)));
  const slices: T[][] = [];
  for (let i = 0; i < items.length; i += size) slices.push(items.slice(i, i + size));
  return slices;
}

/** Upserts `rows` of `entity` on `conflict`, in as many statements as its columns make necessary. */
export async function upsertInSlices<Row extends ObjectLiteral>(tx: EntityManager, entity: EntityTarget<Row>, rows: readonly Row[], conflict: string[]): Promise<void> {
  const columns = tx.connection.getMetadata(entity).columns.length;
  for (const slice of sliceForStatement(rows, columns)) await tx.upsert(entity, slice, conflict);
}
