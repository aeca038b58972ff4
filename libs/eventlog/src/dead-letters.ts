import { createHash } from 'node:crypto';
import type { IHeaders, KafkaMessage, Message } from 'kafkajs';
import { printable } from '@medic/domain';
import { isKnownType, type StreamEvents, type StreamName } from '@medic/contracts';
import { headerSize, MAX_SEND_BYTES, sizeOf } from './chunks';
import { fromKafkaMessage, handledIn, header, type LoggedEvent } from './envelope';
import { messageOf } from './failure-streak';

/** A record a step could not handle, and why; the kit dead-letters it and the partition flows on. */
export interface RejectedRecord {
  readonly offset: string;
  /** Machine-readable: undecodable, unknown_event_type, illegal_transition, handler_error, … */
  readonly code: string;
  readonly reason: string;
  /**
   * Set when the step undid everything it did with the record (its handling
   * failed and was rolled back): `*` for all the step keeps, or the
   * projections (`name@version`, comma-separated) whose fold of it was undone.
   * A rebuild leaves such a record out as the live step did.
   */
  readonly rolledBack?: string;
}

export interface DeadLetterSource {
  readonly topic: string;
  readonly partition: number;
  readonly message: Pick<KafkaMessage, 'key' | 'value' | 'headers' | 'offset'>;
}

/** What of a dead letter's size (at most MAX_SEND_BYTES, as every send of the kit) the original key and headers may take; the rest is the value's. */
const DEAD_LETTER_KEY_BYTES = 4 * 1024;
const DEAD_LETTER_HEADER_BYTES = 64 * 1024;
/** Room kept for the headers that say the value was cut (its size, its SHA-256 and what was cut: under 200 bytes). */
const CUT_VALUE_HEADER_BYTES = 256;

/**
 * The record for medic.dlq.internal: the original key, bytes and headers, and
 * `medic_dlq_*` headers naming the step, the reason and where the record was.
 * A dead letter is at most MAX_SEND_BYTES: a record the broker took whole,
 * once Medic's headers are added, could otherwise be one no broker takes
 * back, and the step would try it for ever. A record too large keeps what fits: the
 * first bytes of its value, its headers while they fit (the others named in
 * `medic_dlq_dropped_headers`), a key cut at 4 KiB, with the original value's
 * size and SHA-256 (`medic_dlq_value_bytes`, `medic_dlq_value_sha256`) and
 * what was cut in `medic_dlq_truncated`; the whole record stays at its source
 * topic, partition and offset. The original's own `medic_dlq_*` headers are
 * never kept: only Medic says why a record is here.
 */
export function deadLetter(step: string, source: DeadLetterSource, rejected: Pick<RejectedRecord, 'code' | 'reason' | 'rolledBack'>, attempts: number, at: Date): Message {
  const medic: IHeaders = {
    medic_dlq_step: step,
    medic_dlq_code: rejected.code,
    // Reasons quote what a record held (a type header, a parser's excerpt): kept printable, as every reader can store and show it.
    medic_dlq_reason: printable(rejected.reason.slice(0, 4_000)),
    medic_dlq_source_topic: source.topic,
    medic_dlq_source_partition: String(source.partition),
    medic_dlq_source_offset: source.message.offset,
    medic_dlq_attempts: String(attempts),
    medic_dlq_failed_at: at.toISOString(),
    ...(rejected.rolledBack === undefined ? {} : { medic_dlq_rolled_back: rejected.rolledBack }),
  };
  const truncated: string[] = [];
  const key = source.message.key;
  const keptKey = key && key.length > DEAD_LETTER_KEY_BYTES ? key.subarray(0, DEAD_LETTER_KEY_BYTES) : key;
  if (keptKey !== key) truncated.push('key');
  const kept: IHeaders = {};
  const dropped: string[] = [];
  let headerBytes = 0;
  for (const [name, value] of Object.entries(source.message.headers ?? {})) {
    if (name.startsWith('medic_dlq_') || value === undefined) continue;
    const size = headerSize(name, value);
    if (headerBytes + size > DEAD_LETTER_HEADER_BYTES) {
      dropped.push(name);
      continue;
    }
    headerBytes += size;
    kept[name] = value;
  }
  if (dropped.length > 0) {
    truncated.push('headers');
    medic['medic_dlq_dropped_headers'] = printable(dropped.join(',').slice(0, 1_000));
  }
  const value = source.message.value;
  const room = MAX_SEND_BYTES - sizeOf({ key: keptKey, value: null, headers: { ...kept, ...medic } }) - CUT_VALUE_HEADER_BYTES;
  let keptValue = value;
  if (value && value.length > room) {
    keptValue = value.subarray(0, Math.max(0, room));
    truncated.push('value');
    medic['medic_dlq_value_bytes'] = String(value.length);
    medic['medic_dlq_value_sha256'] = createHash('sha256').update(value).digest('hex');
  }
  if (truncated.length > 0) medic['medic_dlq_truncated'] = truncated.join(',');
  return { key: keptKey, value: keptValue, headers: { ...kept, ...medic } };
}

/** What a dead letter says about itself, from its headers (for readers of medic.dlq.internal). */
export interface DeadLetterInfo {
  readonly step: string;
  readonly code: string;
  readonly reason: string;
  readonly sourceTopic: string;
  readonly sourcePartition: number;
  readonly sourceOffset: string;
  readonly failedAt: string;
  /** What the step undid of the record, when it undid it (see RejectedRecord.rolledBack); null when it did not say. */
  readonly rolledBack: string | null;
}

/**
 * What a dead letter's headers say about it; null for a record without them.
 * A dead letter that names no step (the listener's, before it said so) is
 * `writtenBy`'s, when the caller knows who writes to its topic.
 */
export function readDeadLetter(headers: IHeaders | undefined, writtenBy?: string): DeadLetterInfo | null {
  // Whoever wrote the record, what it says is shown and stored: no NUL or control character gets through.
  const said = (name: string): string | null => {
    const value = header(headers, name);
    return value === null ? null : printable(value);
  };
  const step = said('medic_dlq_step') ?? (writtenBy !== undefined && said('medic_dlq_code') !== null ? writtenBy : null);
  if (step === null) return null;
  return {
    step,
    code: said('medic_dlq_code') ?? 'unknown',
    reason: said('medic_dlq_reason') ?? '',
    sourceTopic: said('medic_dlq_source_topic') ?? '',
    sourcePartition: Number(said('medic_dlq_source_partition') ?? -1),
    sourceOffset: said('medic_dlq_source_offset') ?? '',
    failedAt: said('medic_dlq_failed_at') ?? '',
    rolledBack: said('medic_dlq_rolled_back'),
  };
}

export interface DecodedRecords<E> {
  readonly events: LoggedEvent<E>[];
  readonly rejected: RejectedRecord[];
}

/**
 * Decodes a partition's records of one stream. A record this build cannot read
 * (no CloudEvents type, a type or version it does not know, bytes that do not
 * decode) is rejected with the reason, never guessed at.
 */
export function decodeRecords<S extends StreamName>(
  stream: S,
  records: { readonly topic: string; readonly partition: number; readonly messages: readonly KafkaMessage[] },
  /** When given, records of other (known) types are passed over undecoded. */
  wanted?: (typeName: string) => boolean,
): DecodedRecords<StreamEvents[S]> {
  const events: LoggedEvent<StreamEvents[S]>[] = [];
  const rejected: RejectedRecord[] = [];
  for (const m of records.messages) {
    const ceType = header(m.headers, 'ce_type');
    if (ceType === null) {
      rejected.push({ offset: m.offset, code: 'undecodable', reason: 'the record has no ce_type header' });
      continue;
    }
    if (!isKnownType(stream, ceType)) {
      rejected.push({ offset: m.offset, code: 'unknown_event_type', reason: `${ceType} is not a ${stream} type this version of Medic knows` });
      continue;
    }
    if (wanted && !wanted(ceType.slice(ceType.lastIndexOf('.') + 1))) continue;
    try {
      events.push(fromKafkaMessage(stream, { topic: records.topic, partition: records.partition, offset: m.offset, value: m.value, headers: m.headers }, handledIn(m)));
    } catch (error) {
      rejected.push({ offset: m.offset, code: 'undecodable', reason: `${ceType}: ${messageOf(error)}` });
    }
  }
  return { events, rejected };
}

// Postgres SQLSTATE classes that say "try again": connection exceptions, insufficient
// resources, operator intervention (e.g. the server shutting down), serialization failures.
// A protocol violation (08P01) is in the connection class but is the server refusing
// what was sent (e.g. a statement over the protocol's 65,535 parameters): sent again,
// it is refused again, so it is about the work, not the infrastructure.
const RETRIABLE_SQLSTATE = /^(08|53|57|40)/;
const REFUSED_EVERY_TIME_SQLSTATE = new Set(['08P01']);
const RETRIABLE_ERRNO = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);

/** The code an error carries: Postgres' SQLSTATE under a TypeORM error (its driver's), else the error's own. */
export function errorCode(error: unknown): string | undefined {
  const driver = (error as { driverError?: { code?: unknown } } | null)?.driverError;
  const code = typeof driver?.code === 'string' ? driver.code : (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/**
 * Whether an error is about the infrastructure rather than the record: such
 * an error is retried with backoff and the record never skipped. Errors that
 * say so (`retriable: true`, as kafkajs' do), broker client errors, Postgres
 * connection and resource errors and network errors count; anything else is
 * taken to be about the record.
 */
export function isRetriable(error: unknown): boolean {
  for (let e: unknown = error, depth = 0; e && typeof e === 'object' && depth < 5; depth++) {
    const o = e as { retriable?: unknown; name?: unknown; code?: unknown; driverError?: unknown; cause?: unknown; message?: unknown };
    if (o.retriable === true) return true;
    if (typeof o.name === 'string' && o.name.startsWith('KafkaJS')) return true;
    if (typeof o.code === 'string' && !REFUSED_EVERY_TIME_SQLSTATE.has(o.code) && (RETRIABLE_SQLSTATE.test(o.code) || RETRIABLE_ERRNO.has(o.code))) return true;
    if (typeof o.message === 'string' && /Connection terminated|connection timeout|Client has encountered a connection error|timeout exceeded when trying to connect/i.test(o.message)) return true;
    e = o.driverError ?? o.cause;
  }
  return false;
}

/** A retriable error, or any error while Postgres does not answer, is about the infrastructure, not the record. */
export async function isInfrastructureError(error: unknown, database: { query(sql: string): Promise<unknown> }): Promise<boolean> {
  if (isRetriable(error)) return true;
  try {
    await database.query('SELECT 1');
    return false;
  } catch {
    return true;
  }
}
