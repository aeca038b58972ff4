/**
 * Logger of records in the spec 10.2 shape:
 * {timestamp, level, logger, message, context:{kill_id, decision_id, …}, trace_id, span_id},
 * written as JSON lines (`logging.format: json`, the default) or as one
 * line of text each for a human at a terminal (`text`).
 */
export const LOG_LEVELS = ['DEBUG', 'INFO', 'WARNING', 'ERROR', 'CRITICAL'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
export const LOG_FORMATS = ['json', 'text'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

export type LogContext = Readonly<Record<string, unknown>>;
export type LogSink = (line: string) => void;

export interface TraceIds {
  readonly traceId: string;
  readonly spanId: string;
}

let sink: LogSink = (line) => process.stdout.write(line + '\n');
let threshold: LogLevel = 'INFO';
let format: LogFormat = 'json';

export function configureLogging(options: { level?: LogLevel; format?: LogFormat; sink?: LogSink }): void {
  if (options.level) threshold = options.level;
  if (options.format) format = options.format;
  if (options.sink) sink = options.sink;
}

export class Logger {
  constructor(
    readonly name: string,
    private readonly base: LogContext = {},
  ) {}

  child(name: string, context: LogContext = {}): Logger {
    return new Logger(`${this.name}.${name}`, { ...this.base, ...context });
  }

  debug(message: string, context?: LogContext, trace?: TraceIds): void {
    this.write('DEBUG', message, context, trace);
  }
  info(message: string, context?: LogContext, trace?: TraceIds): void {
    this.write('INFO', message, context, trace);
  }
  warn(message: string, context?: LogContext, trace?: TraceIds): void {
    this.write('WARNING', message, context, trace);
  }
  error(message: string, context?: LogContext, trace?: TraceIds): void {
    this.write('ERROR', message, context, trace);
  }
  critical(message: string, context?: LogContext, trace?: TraceIds): void {
    this.write('CRITICAL', message, context, trace);
  }

  private write(level: LogLevel, message: string, context: LogContext | undefined, trace: TraceIds | undefined): void {
    if (LOG_LEVELS.indexOf(level) < LOG_LEVELS.indexOf(threshold)) return;
    const line = {
      timestamp: new Date().toISOString(),
      level,
      logger: this.name,
      message,
      context: { ...this.base, ...context },
      trace_id: trace?.traceId ?? null,
      span_id: trace?.spanId ?? null,
    };
    sink(format === 'json' ? JSON.stringify(line, errorReplacer) : asText(line));
  }
}

/**
 * `2026-12-02T13:00:00.000Z WARNING medic.decision: message kill_id=k-1 error={"name":…} trace_id=…`:
 * the context as key=value pairs, a value quoted or in JSON when it is not a plain word.
 */
function asText(line: { timestamp: string; level: LogLevel; logger: string; message: string; context: LogContext; trace_id: string | null; span_id: string | null }): string {
  const pairs = Object.entries(line.context)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k}=${textValue(v)}`);
  if (line.trace_id !== null) pairs.push(`trace_id=${line.trace_id}`, `span_id=${line.span_id ?? ''}`);
  // One record, one line: a message's own line breaks are escaped.
  const message = line.message.replace(/\r?\n/g, '\\n');
  return [`${line.timestamp} ${line.level} ${line.logger}: ${message}`, ...pairs].join(' ');
}

function textValue(value: unknown): string {
  if (typeof value === 'string') return /^[^\s"=]+$/.test(value) ? value : JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean' || value === null) return String(value);
  // JSON.stringify gives undefined for a function or a symbol.
  return JSON.stringify(value, errorReplacer) ?? typeof value;
}

function errorReplacer(_key: string, value: unknown): unknown {
  if (value instanceof Error) return { name: value.name, message: value.message, code: (value as { code?: unknown }).code };
  if (typeof value === 'bigint') return value.toString();
  return value;
}
