import type { StackProcessKind } from './stack-state';

/**
 * When and whether `medic up` restarts a process of its stack that died. Pure: the caller
 * measures time and counts; these functions only decide.
 */
export interface RestartPolicy {
  /** The wait before restarting after the first failure of a series. */
  readonly initialDelayMs: number;
  /** The wait doubles with every further failure in a row, up to this. */
  readonly maxDelayMs: number;
  /** A run that stayed up this long was healthy: its death starts a new series. */
  readonly stableAfterMs: number;
  /** More failures in a row than this and the process is given up on. */
  readonly maxFailuresInARow: number;
  readonly liveness: LivenessPolicy;
}

/**
 * A process can fail without exiting: an event loop that never comes back, a
 * process stopped (SIGSTOP) or frozen. While it runs, each process that can be
 * asked is asked every `intervalMs` whether it answers at all (an answer that
 * is an error counts: a busy or failing process is not a hung one); one that
 * has not answered for its limit is killed (SIGKILL), and so started again like
 * one that died. Before that, a silence of `warnAfterMs` is told to the human
 * running the stack (and shown in the state file), and so is an answer after it.
 */
export interface LivenessPolicy {
  readonly intervalMs: number;
  /** Each question's bound. */
  readonly checkMs: number;
  /** How long any process may go without answering before `medic up` says so. */
  readonly warnAfterMs: number;
  /** How long a Medic service may go without answering. */
  readonly serviceMs: number;
  /** How long the broker or Postgres may: they are slower to start again, and busier. */
  readonly serverMs: number;
  /**
   * How long a run may take to answer for the first time. Until it does it is
   * starting, not silent (a Medic service boots in 5–30 s on a busy two-core
   * machine): the limits above count from its first answer.
   */
  readonly startMs: number;
}

/**
 * Ten tries take about a minute: long enough for a service to outlast a broker or Postgres
 * restart (it may die while they are away), short enough that a broken build is reported soon.
 */
export const DEFAULT_RESTART_POLICY: RestartPolicy = {
  initialDelayMs: 500,
  maxDelayMs: 10_000,
  stableAfterMs: 30_000,
  maxFailuresInARow: 10,
  liveness: { intervalMs: 5_000, checkMs: 3_000, warnAfterMs: 15_000, serviceMs: 30_000, serverMs: 60_000, startMs: 180_000 },
};

/** How long a process of this kind may go without answering before it is killed. */
export function unresponsiveLimitMs(policy: LivenessPolicy, kind: StackProcessKind): number {
  return kind === 'service' ? policy.serviceMs : policy.serverMs;
}

export type RestartVerdict =
  | { readonly kind: 'restart'; readonly delayMs: number; readonly failuresInARow: number }
  | { readonly kind: 'give-up'; readonly failuresInARow: number };

/** The wait before the restart that follows the `failuresInARow`-th failure (1-based) of a series. */
export function backoffDelay(policy: RestartPolicy, failuresInARow: number): number {
  const doublings = Math.min(Math.max(failuresInARow - 1, 0), 30);
  return Math.min(policy.maxDelayMs, policy.initialDelayMs * 2 ** doublings);
}

/**
 * What to do once a run has ended (the process died, or a restart did not come up).
 * `ranForMs` is how long the run served; 0 for a start that failed.
 */
export function afterFailure(policy: RestartPolicy, failuresBefore: number, ranForMs: number): RestartVerdict {
  const failuresInARow = ranForMs >= policy.stableAfterMs ? 1 : failuresBefore + 1;
  if (failuresInARow > policy.maxFailuresInARow) return { kind: 'give-up', failuresInARow };
  return { kind: 'restart', delayMs: backoffDelay(policy, failuresInARow), failuresInARow };
}
