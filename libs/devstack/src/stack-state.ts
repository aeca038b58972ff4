import { z } from 'zod';

/**
 * What `medic up` says about each process of its stack, in the state file it keeps in the
 * medic home (`stack-state.json`); the gateway serves it in `GET /status`. One schema for
 * the writer and the reader.
 */
export const STACK_PROCESS_STATES = ['running', 'restarting', 'stopped'] as const;
export const STACK_PROCESS_KINDS = ['kafka', 'postgres', 'elasticsearch', 'container_engine', 'service'] as const;

const exitSchema = z.object({
  code: z.number().int().nullable(),
  signal: z.string().nullable(),
  at: z.string(),
  /** Set when a restart did not come up, or when how it ended is unknown. */
  reason: z.string().optional(),
});

export const stackProcessSchema = z.object({
  name: z.string(),
  kind: z.enum(STACK_PROCESS_KINDS),
  state: z.enum(STACK_PROCESS_STATES),
  pid: z.number().int().nullable(),
  restarts: z.number().int().nonnegative(),
  /** When it entered its current state. */
  since: z.string(),
  last_exit: exitSchema.nullable(),
  /**
   * Set while a running process has gone unanswered long enough for `medic up` to say so
   * (see `LivenessPolicy.warnAfterMs`): the time of its last answer. Null while it answers.
   */
  unanswered_since: z.string().nullable().default(null),
  log_file: z.string(),
});

export const stackStateSchema = z.object({
  supervisor_pid: z.number().int(),
  updated_at: z.string(),
  processes: z.array(stackProcessSchema),
});

export type StackProcessKind = (typeof STACK_PROCESS_KINDS)[number];
export type StackProcess = z.infer<typeof stackProcessSchema>;
export type StackState = z.infer<typeof stackStateSchema>;
export type ProcessExit = z.infer<typeof exitSchema>;

export interface ExitStatus {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  /** What is known when code and signal are not (a restart that did not come up, a process that is not our child). */
  readonly reason?: string;
}

/** A process has come up: the first time (no `before`), or again after it was restarting. */
export function processUp(
  before: StackProcess | undefined,
  up: { readonly name: string; readonly kind: StackProcessKind; readonly pid: number; readonly logFile: string },
  at: Date,
): StackProcess {
  return {
    name: up.name,
    kind: up.kind,
    state: 'running',
    pid: up.pid,
    restarts: before ? before.restarts + (before.state === 'restarting' ? 1 : 0) : 0,
    since: at.toISOString(),
    last_exit: before?.last_exit ?? null,
    unanswered_since: null,
    log_file: up.logFile,
  };
}

/** A running process has not answered since `lastAnswer` (or, with null, answers again). */
export function processUnanswered(before: StackProcess, lastAnswer: Date | null): StackProcess {
  return { ...before, unanswered_since: lastAnswer === null ? null : lastAnswer.toISOString() };
}

/** Its run ended (it died, or a restart failed) and it will be started again. */
export function processDown(before: StackProcess, exit: ExitStatus, at: Date): StackProcess {
  const lastExit: ProcessExit = { code: exit.code, signal: exit.signal, at: at.toISOString(), ...(exit.reason ? { reason: exit.reason } : {}) };
  return {
    ...before,
    state: 'restarting',
    pid: null,
    since: before.state === 'restarting' ? before.since : at.toISOString(),
    last_exit: lastExit,
    unanswered_since: null,
  };
}

/** Stopped for good: `medic up` is shutting down or gave up on it. */
export function processStopped(before: StackProcess, at: Date): StackProcess {
  return { ...before, state: 'stopped', pid: null, since: at.toISOString(), unanswered_since: null };
}

/** "signal SIGKILL", "code 1" (with why, when known: "signal SIGKILL: not answering for 30s"), or what is known when neither is. */
export function describeExit(exit: ExitStatus): string {
  const how = exit.signal ? `signal ${exit.signal}` : exit.code !== null ? `code ${exit.code}` : null;
  if (how === null) return exit.reason ?? 'unknown cause';
  return exit.reason ? `${how}: ${exit.reason}` : how;
}
