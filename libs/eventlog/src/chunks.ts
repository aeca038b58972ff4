import type { Message } from 'kafkajs';
import type { EntityManager, EntityMetadata, EntityTarget, ObjectLiteral } from 'typeorm';
import type { ColumnMetadata } from 'typeorm/metadata/ColumnMetadata';
import { ApplyValueTransformers } from 'typeorm/util/ApplyValueTransformers';

/**
 * Splits records into sends the broker accepts: a produce request carries one
 * record batch per partition, which must stay under the broker's
 * message.max.bytes (1 MiB by default) however large a consumed batch was.
 */
export const MAX_SEND_BYTES = 512 * 1024;

export function sizeOf(message: Message): number {
  let size = 64 + byteLength(message.key) + byteLength(message.value);
  for (const [k, v] of Object.entries(message.headers ?? {})) size += headerSize(k, v);
  return size;
}

/** What one header adds to a record's size (as `sizeOf` counts it). */
export function headerSize(name: string, value: NonNullable<Message['headers']>[string]): number {
  return name.length + (Array.isArray(value) ? value.reduce<number>((s, x) => s + byteLength(x), 0) : byteLength(value));
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

/**
 * Upserts `rows` of `entity` on `conflict` (property names): a row whose key
 * is there already has every other column replaced. See `insertAsJson`.
 */
export async function upsertRows<Row extends ObjectLiteral>(tx: EntityManager, entity: EntityTarget<Row>, rows: readonly Row[], conflict: string[]): Promise<void> {
  await insertAsJson(tx, entity, rows, (meta, escape) => {
    const keys = conflict.map((property) => {
      const column = meta.findColumnWithPropertyPath(property);
      if (!column) throw new Error(`${meta.name} has no column ${property}`);
      return column.databaseName;
    });
    const updates = writtenColumns(meta)
      .filter((c) => !keys.includes(c.databaseName))
      .map((c) => `${escape(c.databaseName)} = EXCLUDED.${escape(c.databaseName)}`);
    return `ON CONFLICT (${keys.map(escape).join(', ')}) ${updates.length > 0 ? `DO UPDATE SET ${updates.join(', ')}` : 'DO NOTHING'}`;
  });
}

/** Inserts `rows` of `entity`, leaving out each one that any unique key of the table already holds. See `insertAsJson`. */
export async function insertRowsIgnoringConflicts<Row extends ObjectLiteral>(tx: EntityManager, entity: EntityTarget<Row>, rows: readonly Row[]): Promise<void> {
  await insertAsJson(tx, entity, rows, () => 'ON CONFLICT DO NOTHING');
}

/**
 * Inserts `rows` of `entity` in one statement with one parameter: the rows as
 * a JSON array, turned into the table's row type by Postgres
 * (json_populate_recordset). However many rows and columns, the statement
 * stays within the wire protocol's parameter count, and no statement text
 * grows with the rows. Every column of the entity is written: a property left
 * undefined is stored as NULL.
 */
async function insertAsJson<Row extends ObjectLiteral>(
  tx: EntityManager,
  entity: EntityTarget<Row>,
  rows: readonly Row[],
  onConflict: (meta: EntityMetadata, escape: (name: string) => string) => string,
): Promise<void> {
  if (rows.length === 0) return;
  const meta = tx.connection.getMetadata(entity);
  const escape = (name: string) => tx.connection.driver.escape(name);
  const table = meta.tablePath.split('.').map(escape).join('.');
  const columns = writtenColumns(meta);
  const names = columns.map((c) => escape(c.databaseName)).join(', ');
  const json = rows.map((row) => Object.fromEntries(columns.map((c) => [c.databaseName, jsonValueOf(c.transformer ? ApplyValueTransformers.transformTo(c.transformer, c.getEntityValue(row)) : c.getEntityValue(row))])));
  await tx.query(`INSERT INTO ${table} (${names}) SELECT ${names} FROM json_populate_recordset(NULL::${table}, $1::json) ${onConflict(meta, escape)}`, [JSON.stringify(json)]);
}

function writtenColumns(meta: EntityMetadata): ColumnMetadata[] {
  return meta.columns.filter((c) => !c.isVirtual);
}

/** A column's value as JSON gives it to Postgres: dates as ISO instants, big integers as their digits, nothing as null. */
function jsonValueOf(value: unknown): unknown {
  if (value === undefined) return null;
  if (typeof value === 'bigint') return value.toString();
  return value;
}
