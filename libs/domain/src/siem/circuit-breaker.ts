/**
 * A circuit breaker per SIEM (spec 6.4), as a value: every transition takes
 * the time it happens at, so the breaker is a pure state machine.
 *
 * closed → open after `failureThreshold` failures in a row; open → half-open
 * once `recoveryTimeoutSeconds` have passed; half-open lets at most
 * `halfOpenMaxCalls` calls through: a success closes it, a failure opens it again.
 */
export type CircuitState = 'closed' | 'open' | 'half_open';

export interface CircuitSettings {
  readonly failureThreshold: number;
  readonly recoveryTimeoutSeconds: number;
  readonly halfOpenMaxCalls: number;
}

export interface CircuitBreaker {
  readonly name: string;
  readonly state: CircuitState;
  readonly failureCount: number;
  /** Epoch ms of the last failure, null before any. */
  readonly lastFailureAt: number | null;
  readonly halfOpenCalls: number;
}

export function newCircuit(name: string): CircuitBreaker {
  return { name, state: 'closed', failureCount: 0, lastFailureAt: null, halfOpenCalls: 0 };
}

/** The breaker as it stands at `now` (an open one whose recovery time has passed is half-open). */
export function circuitAt(b: CircuitBreaker, settings: CircuitSettings, now: number): CircuitBreaker {
  if (b.state === 'open' && b.lastFailureAt !== null && now - b.lastFailureAt >= settings.recoveryTimeoutSeconds * 1000) {
    return { ...b, state: 'half_open', halfOpenCalls: 0 };
  }
  return b;
}

/** Whether a call may go out now, and the breaker after letting it (a half-open breaker counts its trial calls). */
export function tryCall(b: CircuitBreaker, settings: CircuitSettings, now: number): { readonly allowed: boolean; readonly breaker: CircuitBreaker } {
  const current = circuitAt(b, settings, now);
  if (current.state === 'closed') return { allowed: true, breaker: current };
  if (current.state === 'open') return { allowed: false, breaker: current };
  if (current.halfOpenCalls >= settings.halfOpenMaxCalls) return { allowed: false, breaker: current };
  return { allowed: true, breaker: { ...current, halfOpenCalls: current.halfOpenCalls + 1 } };
}

export function recordSuccess(b: CircuitBreaker): CircuitBreaker {
  return { ...b, state: 'closed', failureCount: 0, halfOpenCalls: 0 };
}

export function recordFailure(b: CircuitBreaker, settings: CircuitSettings, now: number): CircuitBreaker {
  const failureCount = b.failureCount + 1;
  const opens = b.state === 'half_open' || failureCount >= settings.failureThreshold;
  return { ...b, state: opens ? 'open' : b.state, failureCount, lastFailureAt: now, halfOpenCalls: 0 };
}
