/**
 * JSON-lines logger in the spec 10.2 shape:
 * {timestamp, level, logger, message, context:{kill_id, decision_id, …}, trace_id, span_id}.
 */
export const LOG_LEVELS = ['DEBUG', 'INFO', 'WARNING', 'ERROR', 'CRITICAL'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export type LogContext = Readonly<Record<string, unknown>>;
export type LogSink = (line: string) => void;

export interface TraceIds {
  readonly traceId: string;
  readonly spanId: string;
}

let sink: LogSink = (line) => process.stdout.write(line + '\n');
let threshold: LogLevel = 'INFO';

export function configureLogging(options: { level?: LogLevel; sink?: LogSink }): void {
  if (options.level) threshold = options.level;
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
    sink(JSON.stringify(line, errorReplacer));
  }
}

function errorReplacer(_key: string, value: unknown): unknown {
  if (value instanceof Error) return { name: value.name, message: value.message, code: (value as { code?: unknown }).code };
  if (typeof value === 'bigint') return value.toString();
  return value;
}
