/** Retrying a call to the outside world (spec 6.3): exponential backoff with jitter, for retriable errors only. */
export interface RetryPolicy {
  readonly maxAttempts: number;
  readonly initialDelaySeconds: number;
  readonly maxDelaySeconds: number;
  readonly exponentialBase: number;
  readonly jitter: boolean;
}

/**
 * How long to wait before attempt `attempt + 1` after attempt `attempt`
 * failed, or null when no attempt is left. With jitter the wait is drawn
 * uniformly from [0, backoff] ("full jitter"), so clients that failed
 * together do not retry together. `random` is in [0, 1).
 */
export function retryDelayMs(policy: RetryPolicy, attempt: number, random: number): number | null {
  if (attempt >= policy.maxAttempts) return null;
  const backoff = Math.min(policy.maxDelaySeconds, policy.initialDelaySeconds * policy.exponentialBase ** (attempt - 1)) * 1000;
  return Math.round(policy.jitter ? backoff * random : backoff);
}
