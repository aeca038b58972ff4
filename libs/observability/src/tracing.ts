import type { EventEmitter } from 'node:events';
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { hostname } from 'node:os';
import { setTimeout as delay } from 'node:timers/promises';
import { inspect } from 'node:util';
import { context, propagation, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, TraceFlags, type Attributes, type Context, type Span, type SpanContext, type Tracer } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { detectResources, envDetector, resourceFromAttributes } from '@opentelemetry/resources';
import { AlwaysOffSampler, AlwaysOnSampler, BatchSpanProcessor, ParentBasedSampler, TraceIdRatioBasedSampler, TracerProvider, type Sampler } from '@opentelemetry/sdk-trace';
import type { TraceIds } from './logger';
import { MEDIC_VERSION } from './version';

/**
 * OpenTelemetry tracing for every Medic process: one trace per kill across
 * the Kafka hops. Each record a step handles gets a span whose parent is the
 * record's `traceparent` header, and what the step appends carries that span
 * on; a REST call, a timer firing or an event with no cause starts a span of
 * its own. Spans are exported over OTLP/HTTP when an OTLP endpoint is
 * configured through the standard OTEL_* variables, and only then recorded;
 * without one, the ids are still made and carried (logs show them), at the
 * cost of a few random numbers per record.
 */

/** The W3C trace context of an event: the span that appended it. */
export interface TraceContext extends TraceIds {
  readonly sampled: boolean;
}

export const SAMPLERS = ['always_on', 'always_off', 'traceidratio', 'parentbased_always_on', 'parentbased_always_off', 'parentbased_traceidratio'] as const;
export type SamplerName = (typeof SAMPLERS)[number];

export interface TracingSettings {
  readonly serviceName: string;
  /** Whether spans are exported (over OTLP/HTTP, where the OTEL_EXPORTER_OTLP_* variables say). */
  readonly export: boolean;
  readonly sampler: SamplerName;
  /** The ratio of the trace-id-ratio samplers. */
  readonly ratio: number;
  /** How long finished spans wait to be exported together. */
  readonly exportDelayMs: number;
}

export class TracingConfigError extends Error {}

/**
 * Reads the standard OpenTelemetry variables Medic honours: OTEL_SDK_DISABLED,
 * OTEL_SERVICE_NAME, OTEL_TRACES_EXPORTER (`otlp` or `none`; `otlp` when an
 * OTLP endpoint is set), OTEL_EXPORTER_OTLP_PROTOCOL (`http/json` only),
 * OTEL_TRACES_SAMPLER and OTEL_TRACES_SAMPLER_ARG. The exporter reads the
 * endpoint, headers and timeout variables itself. A value Medic cannot honour
 * is refused, naming the variable.
 */
export function tracingSettings(service: string, env: NodeJS.ProcessEnv): TracingSettings {
  const value = (name: string) => {
    const v = env[name]?.trim();
    return v === undefined || v === '' ? undefined : v;
  };
  const serviceName = value('OTEL_SERVICE_NAME') ?? `medic-${service}`;
  const disabled = value('OTEL_SDK_DISABLED')?.toLowerCase();
  if (disabled !== undefined && disabled !== 'true' && disabled !== 'false') throw new TracingConfigError(`OTEL_SDK_DISABLED: '${disabled}' is not true or false`);
  const endpoint = value('OTEL_EXPORTER_OTLP_TRACES_ENDPOINT') ?? value('OTEL_EXPORTER_OTLP_ENDPOINT');
  const exporters = (value('OTEL_TRACES_EXPORTER') ?? (endpoint ? 'otlp' : 'none')).split(',').map((e) => e.trim().toLowerCase());
  const unknown = exporters.filter((e) => e !== 'otlp' && e !== 'none');
  if (unknown.length > 0) throw new TracingConfigError(`OTEL_TRACES_EXPORTER: '${unknown.join(',')}' is not supported; Medic exports traces with otlp (or none)`);
  const protocol = value('OTEL_EXPORTER_OTLP_TRACES_PROTOCOL') ?? value('OTEL_EXPORTER_OTLP_PROTOCOL');
  const protocolName = value('OTEL_EXPORTER_OTLP_TRACES_PROTOCOL') ? 'OTEL_EXPORTER_OTLP_TRACES_PROTOCOL' : 'OTEL_EXPORTER_OTLP_PROTOCOL';
  const exporting = disabled !== 'true' && exporters.includes('otlp');
  if (exporting && protocol !== undefined && protocol !== 'http/json') {
    throw new TracingConfigError(`${protocolName}: '${protocol}' is not supported; Medic sends OTLP over HTTP as JSON (http/json), which every OTLP/HTTP receiver accepts`);
  }
  const sampler = (value('OTEL_TRACES_SAMPLER') ?? 'parentbased_always_on').toLowerCase();
  if (!(SAMPLERS as readonly string[]).includes(sampler)) throw new TracingConfigError(`OTEL_TRACES_SAMPLER: '${sampler}' is not one of ${SAMPLERS.join(', ')}`);
  const arg = value('OTEL_TRACES_SAMPLER_ARG');
  const ratio = arg === undefined ? 1 : Number(arg);
  if (!Number.isFinite(ratio) || ratio < 0 || ratio > 1) throw new TracingConfigError(`OTEL_TRACES_SAMPLER_ARG: '${arg}' is not a ratio between 0 and 1`);
  const delay = value('OTEL_BSP_SCHEDULE_DELAY');
  const exportDelayMs = delay === undefined ? 5_000 : Number(delay);
  if (!Number.isInteger(exportDelayMs) || exportDelayMs < 0) throw new TracingConfigError(`OTEL_BSP_SCHEDULE_DELAY: '${delay}' is not a whole number of milliseconds`);
  return { serviceName, export: exporting, sampler: sampler as SamplerName, ratio, exportDelayMs };
}

function samplerOf(settings: TracingSettings): Sampler {
  // Spans nobody exports are not recorded: their ids are made and carried all the same.
  if (!settings.export) return new AlwaysOffSampler();
  const ratio = new TraceIdRatioBasedSampler(settings.ratio);
  switch (settings.sampler) {
    case 'always_on':
      return new AlwaysOnSampler();
    case 'always_off':
      return new AlwaysOffSampler();
    case 'traceidratio':
      return ratio;
    case 'parentbased_always_on':
      return new ParentBasedSampler({ root: new AlwaysOnSampler() });
    case 'parentbased_always_off':
      return new ParentBasedSampler({ root: new AlwaysOffSampler() });
    case 'parentbased_traceidratio':
      return new ParentBasedSampler({ root: ratio });
  }
}

interface Installed {
  readonly provider: TracerProvider;
  readonly tracer: Tracer;
  readonly settings: TracingSettings;
}

let installed: Installed | null = null;
let global = false;

function install(settings: TracingSettings): Installed {
  const resource = resourceFromAttributes({ 'service.name': settings.serviceName, 'service.namespace': 'medic', 'service.version': MEDIC_VERSION, 'host.name': hostname(), 'process.pid': process.pid }).merge(
    detectResources({ detectors: [envDetector] }),
  );
  const provider = new TracerProvider({
    resource,
    sampler: samplerOf(settings),
    // Reports are hostile input: no header or key makes a span unbounded.
    spanLimits: { attributeValueLengthLimit: 512, attributeCountLimit: 64 },
    spanProcessors: settings.export ? [new BatchSpanProcessor({ exporter: new OTLPTraceExporter({ httpAgentOptions: collectorAgent }), maxQueueSize: 8192, maxExportBatchSize: 1024, scheduledDelayMillis: settings.exportDelayMs })] : [],
  });
  return { provider, tracer: provider.getTracer('medic'), settings };
}

/**
 * The connections to the collector. Each socket has an error listener of its
 * own: a collector (or a proxy in front of it) that answers before it has
 * read the request and drops the connection makes the exporter's next write
 * fail with EPIPE on a socket no request listens on any more, an error that
 * would otherwise end the process. The export fails, and the next one opens
 * a new connection.
 */
function collectorAgent(protocol: string): HttpAgent {
  const agent = protocol === 'http:' ? new HttpAgent({ keepAlive: false }) : new HttpsAgent({ keepAlive: false });
  const connect = agent.createConnection.bind(agent);
  agent.createConnection = (options, callback) => {
    const socket = connect(options, callback);
    socket?.on('error', () => undefined);
    return socket;
  };
  return agent;
}

/**
 * Sets up tracing for a Medic process (once, before anything else): the
 * tracer provider, the W3C propagator and the async context manager, also as
 * OpenTelemetry's globals, so that libraries that trace themselves (the
 * Elasticsearch client) join the same traces. Throws TracingConfigError for a
 * variable it cannot honour.
 */
export function startTracing(service: string, env: NodeJS.ProcessEnv = process.env): TracingSettings {
  if (global && installed) return installed.settings;
  installed = install(tracingSettings(service, env));
  global = true;
  trace.setGlobalTracerProvider(installed.provider);
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(PROPAGATOR);
  return installed.settings;
}

/** How long shutting down waits for the last spans to reach the collector: an unreachable one does not hold the process. */
const STOP_WAIT_MS = 2_000;

/** Exports the spans still queued and stops exporting (at shutdown), waiting at most two seconds. */
export async function stopTracing(): Promise<void> {
  if (!installed) return;
  await Promise.race([installed.provider.shutdown().catch(() => undefined), delay(STOP_WAIT_MS, undefined, { ref: false })]);
}

/** Medic's tracer; a process that did not start tracing (a test, a CLI command) makes ids and records nothing. */
function tracer(): Tracer {
  installed ??= install({ serviceName: 'medic', export: false, sampler: 'always_off', ratio: 1, exportDelayMs: 5_000 });
  return installed.tracer;
}

const PROPAGATOR = new W3CTraceContextPropagator();

/** The context a `traceparent` value names (the root context when it names none or is malformed). */
function contextOf(traceparent: string | null | undefined): Context {
  if (!traceparent) return ROOT_CONTEXT;
  const carrier: Readonly<Record<string, string>> = { traceparent };
  return PROPAGATOR.extract(ROOT_CONTEXT, carrier, { get: (c: Readonly<Record<string, string>>, key: string) => c[key], keys: () => ['traceparent'] });
}

export function traceOf(span: Span): TraceContext {
  return fromSpanContext(span.spanContext());
}

/** The trace context of the active span; null when none is active. */
export function activeTrace(): TraceContext | null {
  const sc = trace.getSpanContext(context.active());
  return sc && trace.isSpanContextValid(sc) ? fromSpanContext(sc) : null;
}

function fromSpanContext(sc: SpanContext): TraceContext {
  return { traceId: sc.traceId, spanId: sc.spanId, sampled: (sc.traceFlags & (TraceFlags.SAMPLED as number)) !== 0 };
}

/** The W3C `traceparent` of a trace context, and back (null when the value is not a valid one). */
export function formatTraceparent(ctx: TraceContext): string {
  return `00-${ctx.traceId}-${ctx.spanId}-${ctx.sampled ? '01' : '00'}`;
}

export function parseTraceparent(value: string | null | undefined): TraceContext | null {
  const sc = trace.getSpanContext(contextOf(value));
  return sc && trace.isSpanContextValid(sc) ? fromSpanContext(sc) : null;
}

export interface SpanOptions {
  readonly kind?: SpanKind;
  /** The `traceparent` of the span's parent: a record's header, a request's; null or absent for a new trace. */
  readonly parent?: string | null;
  /** Set only when the span is recorded (made lazily: nothing is built for a span nobody exports). */
  readonly attributes?: () => Attributes;
  /** Spans this one serves besides its parent (a round's query for several records, say). */
  readonly links?: readonly TraceContext[];
}

/**
 * Starts a span, child of the `traceparent` given or of the active span, or
 * the root of a new trace. The caller ends it (see `endSpan`).
 */
export function startSpan(name: string, options: SpanOptions = {}): Span {
  const parent = options.parent === undefined ? context.active() : contextOf(options.parent);
  const links = (options.links ?? []).map((l) => ({ context: { traceId: l.traceId, spanId: l.spanId, traceFlags: l.sampled ? TraceFlags.SAMPLED : TraceFlags.NONE, isRemote: true } }));
  const span = tracer().startSpan(name, { kind: options.kind ?? SpanKind.INTERNAL, links }, parent);
  if (options.attributes && span.isRecording()) span.setAttributes(options.attributes());
  return span;
}

/** Ends a span, marked failed with the error when there is one. */
export function endSpan(span: Span, error?: unknown, attributes?: () => Attributes): void {
  if (span.isRecording()) {
    if (attributes) span.setAttributes(attributes());
    if (error !== undefined) {
      const failure = error instanceof Error ? error : new Error(typeof error === 'string' ? error : inspect(error, { depth: 2 }));
      span.recordException(failure);
      span.setStatus({ code: SpanStatusCode.ERROR, message: failure.message });
    }
  }
  span.end();
}

/**
 * Runs `fn` with `span` active: spans started and events appended meanwhile
 * are its children. Listeners on the `emitters` given (a request, its
 * response) run with it active too, whoever emits their events.
 */
export function withSpan<T>(span: Span, fn: () => T, emitters: readonly EventEmitter[] = []): T {
  const active = trace.setSpan(context.active(), span);
  for (const emitter of emitters) context.bind(active, emitter);
  return context.with(active, fn);
}

/** Runs `fn` in a new span of its own, ended (and marked failed on an error) when `fn` settles. */
export async function inSpan<T>(name: string, options: SpanOptions, fn: (span: Span) => Promise<T>): Promise<T> {
  const span = startSpan(name, options);
  try {
    const result = await withSpan(span, () => fn(span));
    endSpan(span);
    return result;
  } catch (error) {
    endSpan(span, error);
    throw error;
  }
}

/**
 * The trace an appended event carries: the active span when it belongs to the
 * cause's trace (or there is no cause), else the cause's own span (the span of
 * the step that handled the cause), else a span of its own: every
 * `traceparent` Medic writes names a span that exists.
 */
export function traceForAppend(cause: TraceContext | null, what: string): TraceContext {
  const active = trace.getSpanContext(context.active());
  if (active && trace.isSpanContextValid(active) && (cause === null || active.traceId === cause.traceId)) return fromSpanContext(active);
  if (cause) return cause;
  const span = startSpan(`publish ${what}`, { kind: SpanKind.PRODUCER, parent: null });
  span.end();
  return traceOf(span);
}

export { SpanKind, type Attributes, type Span };
