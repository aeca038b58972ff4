import { randomUUID } from 'node:crypto';
import type { TraceIds } from './logger';

/**
 * W3C trace context carried in the `traceparent` Kafka header, so that one kill is
 * one trace across every hop: each hop keeps the trace id and gets a new span id.
 */
const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

export interface TraceContext extends TraceIds {
  readonly sampled: boolean;
}

export function parseTraceparent(value: string | undefined | null): TraceContext | null {
  const m = value ? TRACEPARENT.exec(value) : null;
  if (!m || /^0+$/.test(m[1]!) || /^0+$/.test(m[2]!)) return null;
  return { traceId: m[1]!, spanId: m[2]!, sampled: (parseInt(m[3]!, 16) & 1) === 1 };
}

export function formatTraceparent(ctx: TraceContext): string {
  return `00-${ctx.traceId}-${ctx.spanId}-${ctx.sampled ? '01' : '00'}`;
}

/** A child span of `parent`, or the root of a new trace. */
export function nextSpan(parent: TraceContext | null): TraceContext {
  return {
    // randomUUID draws from a cached entropy pool: far cheaper per event than randomBytes.
    traceId: parent?.traceId ?? randomUUID().replaceAll('-', ''),
    spanId: randomUUID().replaceAll('-', '').slice(0, 16),
    sampled: parent?.sampled ?? true,
  };
}
