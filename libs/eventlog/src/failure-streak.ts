/** How the kit's failed rounds begin their message, as thrown to kafkajs (which logs them again). */
export const ROUND_FAILED_PREFIX = 'step failed: ';

/** Whether a failure is told now, and why: the first of a run, another reason, or the same one after a while. */
export type StreakTelling = 'first' | 'changed' | 'again';

export interface StreakFailure {
  /** Null: keep quiet, the same failure was told less than `repeatMs` ago. */
  readonly tell: StreakTelling | null;
  /** Failures in the run so far, this one included. */
  readonly failures: number;
  /** When the run began (ms since the epoch). */
  readonly since: number;
}

/**
 * A step's run of retriable failures, for its log: a SIEM or a database down
 * for a minute fails every round of every partition, and each would otherwise
 * be an error line of its own (a hundred a minute, the real news drowned).
 * The first failure is told at once, and so is a new reason; the same reason
 * again at most every `repeatMs`, with the count; and the recovery once, with
 * how long it took. Reasons are compared with their numbers left out: "did
 * not take 3 documents" and "… 4 documents" are the same failure.
 */
export class FailureStreak {
  private failures = 0;
  private since = 0;
  private toldAt = 0;
  private reason: string | null = null;

  constructor(private readonly repeatMs = 30_000) {}

  failed(reason: string, now: number): StreakFailure {
    const shape = reason.replace(/\d+/g, '#');
    let tell: StreakTelling | null;
    if (this.failures === 0) {
      this.since = now;
      tell = 'first';
    } else if (shape !== this.reason) tell = 'changed';
    else tell = now - this.toldAt >= this.repeatMs ? 'again' : null;
    this.failures += 1;
    this.reason = shape;
    if (tell !== null) this.toldAt = now;
    return { tell, failures: this.failures, since: this.since };
  }

  /** A round that went through: the run of failures it ends, or null when none was running. */
  succeeded(now: number): { readonly failures: number; readonly seconds: number } | null {
    if (this.failures === 0) return null;
    const ended = { failures: this.failures, seconds: Math.round((now - this.since) / 100) / 10 };
    this.failures = 0;
    this.reason = null;
    return ended;
  }
}

/**
 * A streak per partition of a step: a partition that keeps failing while
 * another flows is told once, not at every turn of the two (a shared streak
 * would end and begin again with each). Kept only while a partition fails.
 */
export class FailureStreaks {
  private readonly byKey = new Map<string, FailureStreak>();

  constructor(private readonly repeatMs = 30_000) {}

  failed(key: string, reason: string, now: number): StreakFailure {
    let streak = this.byKey.get(key);
    if (streak === undefined) {
      streak = new FailureStreak(this.repeatMs);
      this.byKey.set(key, streak);
    }
    return streak.failed(reason, now);
  }

  succeeded(key: string, now: number): { readonly failures: number; readonly seconds: number } | null {
    const streak = this.byKey.get(key);
    if (streak === undefined) return null;
    this.byKey.delete(key);
    return streak.succeeded(now);
  }
}

/** What an error says: its message, or what it is when something other than an Error was thrown. */
export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** "1 failed round", "4 failed rounds". */
export function failedCount(n: number, what: 'round' | 'attempt'): string {
  return `${n} failed ${what}${n === 1 ? '' : 's'}`;
}
