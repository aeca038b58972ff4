export { configureLogging, Logger, LOG_FORMATS, LOG_LEVELS, type LogContext, type LogFormat, type LogLevel, type LogSink, type TraceIds } from './logger';
export {
  activeTrace,
  endSpan,
  formatTraceparent,
  inSpan,
  parseTraceparent,
  SAMPLERS,
  SpanKind,
  startSpan,
  startTracing,
  stopTracing,
  traceForAppend,
  traceOf,
  TracingConfigError,
  tracingSettings,
  withSpan,
  type Attributes,
  type Span,
  type TraceContext,
  type TracingSettings,
} from './tracing';
export { counter, createMetricsRegistry, gaugeOnScrape, histogram } from './metrics';
export type { Registry } from 'prom-client';
export { dropKnownWarnings } from './warnings';
export { crashPoint } from './crash-points';
export { MEDIC_VERSION } from './version';
