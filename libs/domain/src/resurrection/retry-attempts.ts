import { plural } from '../shared/wording';

/** The first retry waits this long; each one after it twice as long as the one before. */
const FIRST_RETRY_MS = 2_000;
const LONGEST_RETRY_MS = 60_000;

/** What follows a resurrection attempt the container engine refused. */
export interface AfterRefusal {
  /** Whether another attempt follows: false once `resurrection.max_retry_attempts` retries have been made. */
  readonly retriable: boolean;
  /** Said after the engine's words: which attempt this was, and what happens next. */
  readonly note: string;
}

/**
 * A resurrection the engine refused (a port still taken, a mount not there
 * yet) is tried again, up to `maxRetries` times after the first attempt; a
 * failure that no retry can mend (no container and no spec to make one from)
 * is not, and neither is a refusal before anything was started.
 */
export function afterRefusal(attempt: number, maxRetries: number): AfterRefusal {
  const of = `attempt ${attempt} of ${1 + maxRetries}`;
  if (attempt > maxRetries) {
    return { retriable: false, note: `${of}; no more attempts (resurrection.max_retry_attempts is ${maxRetries})` };
  }
  return { retriable: true, note: `${of}; tried again in ${plural(attemptDelayMs(attempt + 1) / 1000, 'second')}` };
}

/** How long attempt `attempt` (2 or more) waits before it acts: 2 s, 4 s, 8 s… at most a minute. */
export function attemptDelayMs(attempt: number): number {
  if (attempt <= 1) return 0;
  return Math.min(LONGEST_RETRY_MS, FIRST_RETRY_MS * 2 ** (attempt - 2));
}
