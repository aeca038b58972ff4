import { setTimeout as delay } from 'node:timers/promises';
import { messageOf } from './errors';

export interface WaitOptions {
  readonly timeoutMs: number;
  readonly intervalMs?: number;
  /** Checked before every attempt: a reason to give up at once (e.g. the server process died). */
  readonly abort?: () => Error | undefined;
  /** Builds the error thrown when time runs out, from the last probe failure. */
  readonly onTimeout: (lastError: string) => Error;
}

/**
 * Polls `probe` until it resolves, so start-up waits exactly as long as the server needs
 * instead of a guessed sleep. A probe signals "not yet" by throwing.
 */
export async function waitFor<T>(probe: () => Promise<T>, options: WaitOptions): Promise<T> {
  const deadline = Date.now() + options.timeoutMs;
  let lastError = 'no attempt finished';
  for (;;) {
    const aborted = options.abort?.();
    if (aborted) throw aborted;
    try {
      return await probe();
    } catch (error) {
      lastError = messageOf(error);
    }
    if (Date.now() >= deadline) throw options.onTimeout(lastError);
    await delay(options.intervalMs ?? 250);
  }
}

/** Rejects with `onTimeout()` when `work` has not settled within `ms`. */
export async function withTimeout<T>(work: Promise<T>, ms: number, onTimeout: () => Error): Promise<T> {
  const timer = new AbortController();
  const expired = delay(ms, undefined, { signal: timer.signal }).then(() => {
    throw onTimeout();
  });
  try {
    return await Promise.race([work, expired]);
  } finally {
    timer.abort();
    expired.catch(() => undefined);
  }
}

/** "4.2s": how long start-up took, for progress lines. */
export function secondsSince(startedAt: number): string {
  return `${((Date.now() - startedAt) / 1000).toFixed(1)}s`;
}

/** Whether anything answers HTTP at `url` within `timeoutMs`, whatever the status: the process serving it is not hung. */
export function answersHttp(url: string | URL, timeoutMs: number): Promise<boolean> {
  return fetch(url, { signal: AbortSignal.timeout(timeoutMs) }).then(
    (res) => (void res.body?.cancel(), true),
    () => false,
  );
}
