import { randomUUID } from 'node:crypto';
import type { IHeaders, Message } from 'kafkajs';
import { CONTENT_TYPE, ceTypeOf, decodeEvent, encodeEvent, type StreamEvents, type StreamName } from '@medic/contracts';
import { formatTraceparent, parseTraceparent, traceForAppend, type TraceContext } from '@medic/observability';

/**
 * One event of the log with its CloudEvents attributes (Kafka binding, binary
 * mode: attributes in `ce_*` headers, protobuf payload as the record value).
 */
export interface EventEnvelope<E> {
  readonly id: string;
  readonly type: string;
  readonly source: string;
  readonly time: string;
  readonly subject: string;
  readonly causationId: string | null;
  readonly correlationId: string;
  readonly trace: TraceContext;
  readonly data: E;
}

/** An envelope read from Kafka, with its position in the log. */
export interface LoggedEvent<E> extends EventEnvelope<E> {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
}

export const SPEC_VERSION = '1.0';

/**
 * The spans things are being handled in — a record a step was handed (see
 * RecordSpans), the event decoded from it, a cause made of that event — in
 * memory only, never part of an event or a stored cause.
 */
const handling = new WeakMap<object, TraceContext>();

/** Notes that `key` is being handled in the span `trace`; null: it no longer is. */
export function handleIn(key: object, trace: TraceContext | null): void {
  if (trace === null) handling.delete(key);
  else handling.set(key, trace);
}

/** The span `key` is being handled in, or null outside a step. */
export function handledIn(key: object): TraceContext | null {
  return handling.get(key) ?? null;
}

/** What caused an event: the envelope it reacts to, if any. */
export interface Cause {
  readonly id: string;
  readonly correlationId: string;
  readonly trace: TraceContext;
}

export function newEnvelope<S extends StreamName>(
  stream: S,
  data: StreamEvents[S],
  meta: {
    source: string;
    subject: string;
    time: string;
    cause?: Cause | null;
    correlationId?: string | null;
    /** The trace of an event with no cause, when it continues one (the span handling an outside record). */
    trace?: TraceContext | null;
  },
): EventEnvelope<StreamEvents[S]> {
  const id = randomUUID();
  const type = ceTypeOf(stream, data);
  return {
    id,
    type,
    source: meta.source,
    time: meta.time,
    subject: meta.subject,
    causationId: meta.cause?.id ?? null,
    correlationId: meta.cause?.correlationId ?? meta.correlationId ?? id,
    trace: traceForAppend((meta.cause ? handledIn(meta.cause) : null) ?? meta.cause?.trace ?? meta.trace ?? null, type),
    data,
  };
}

export function toKafkaMessage<S extends StreamName>(stream: S, env: EventEnvelope<StreamEvents[S]>): Message {
  const headers: IHeaders = {
    ce_id: env.id,
    ce_type: env.type,
    ce_source: env.source,
    ce_specversion: SPEC_VERSION,
    ce_time: env.time,
    ce_subject: env.subject,
    'content-type': CONTENT_TYPE,
    medic_correlation_id: env.correlationId,
    traceparent: formatTraceparent(env.trace),
  };
  if (env.causationId) headers.medic_causation_id = env.causationId;
  const bytes = encodeEvent(stream, env.data);
  // A view of the encoded bytes, not a copy.
  return { key: env.subject, value: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), headers };
}

export class EnvelopeError extends Error {
  readonly code = 'envelope_invalid';
  readonly retriable = false;
}

export function header(headers: IHeaders | undefined, name: string): string | null {
  const v = headers?.[name];
  if (v === undefined || v === null) return null;
  const first = Array.isArray(v) ? v[0] : v;
  return first === undefined ? null : first.toString();
}

function required(headers: IHeaders | undefined, name: string): string {
  const v = header(headers, name);
  if (v === null) throw new EnvelopeError(`header ${name} is missing`);
  return v;
}

export function fromKafkaMessage<S extends StreamName>(
  stream: S,
  record: { topic: string; partition: number; offset: string; value: Buffer | null; headers?: IHeaders },
  /** The span a step handles the record in (see RecordSpans): what it appends in response continues from there. */
  span: TraceContext | null = null,
): LoggedEvent<StreamEvents[S]> {
  const type = required(record.headers, 'ce_type');
  const trace = parseTraceparent(header(record.headers, 'traceparent')) ?? traceForAppend(null, type);
  const logged: LoggedEvent<StreamEvents[S]> = {
    id: required(record.headers, 'ce_id'),
    type,
    source: required(record.headers, 'ce_source'),
    time: required(record.headers, 'ce_time'),
    subject: required(record.headers, 'ce_subject'),
    causationId: header(record.headers, 'medic_causation_id'),
    correlationId: header(record.headers, 'medic_correlation_id') ?? required(record.headers, 'ce_id'),
    trace,
    data: decodeEvent(stream, type, record.value ?? Buffer.alloc(0)),
    topic: record.topic,
    partition: record.partition,
    offset: record.offset,
  };
  handleIn(logged, span);
  return logged;
}

/**
 * An event as the cause of others. Its trace is the one the log holds (the
 * span that appended it), so a cause kept in a step's state is the same live
 * and rebuilt; events appended from it while a step handles it continue from
 * the step's span instead (see `newEnvelope`).
 */
export function causeOf(env: EventEnvelope<unknown>): Cause {
  const cause = { id: env.id, correlationId: env.correlationId, trace: env.trace };
  handleIn(cause, handledIn(env));
  return cause;
}

/** The span an event is being handled in by a step, else the span that appended it: what its log lines name. */
export function handlingTraceOf(env: EventEnvelope<unknown>): TraceContext {
  return handledIn(env) ?? env.trace;
}

