import { get as httpGet } from 'node:http';
import { get as httpsGet } from 'node:https';
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

/**
 * The status a GET of `url` is answered with, within `timeoutMs`. For the
 * stack's own processes on loopback: over HTTPS their certificate is not
 * checked (the process is the one just started on that port, and a
 * certificate made for a host name would not match 127.0.0.1).
 */
export function statusOf(url: string | URL, timeoutMs: number): Promise<number> {
  const target = new URL(url);
  const get = target.protocol === 'https:' ? httpsGet : httpGet;
  return new Promise((resolve, reject) => {
    const req = get(target, { timeout: timeoutMs, ...(target.protocol === 'https:' ? { rejectUnauthorized: false } : {}) }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('timeout', () => req.destroy(new Error(`no answer from ${target.href} within ${timeoutMs} ms`)));
    req.on('error', reject);
  });
}

/** Whether anything answers HTTP at `url` within `timeoutMs`, whatever the status: the process serving it is not hung. */
export function answersHttp(url: string | URL, timeoutMs: number): Promise<boolean> {
  return statusOf(url, timeoutMs).then(
    () => true,
    () => false,
  );
}

/** Resolves once `url` answers 2xx; rejects with what it answered (or why it did not). */
export async function answersOk(url: string | URL, timeoutMs: number): Promise<void> {
  const status = await statusOf(url, timeoutMs);
  if (status < 200 || status > 299) throw new Error(`${String(url)} answered ${status}`);
}
