export { configureLogging, Logger, LOG_FORMATS, LOG_LEVELS, type LogContext, type LogFormat, type LogLevel, type LogSink, type TraceIds } from './logger';
export { formatTraceparent, nextSpan, parseTraceparent, type TraceContext } from './trace-context';
export { counter, createMetricsRegistry, gaugeOnScrape, histogram } from './metrics';
export type { Registry } from 'prom-client';
export { dropKnownWarnings } from './warnings';
export { crashPoint } from './crash-points';
