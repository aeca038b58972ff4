/** What `interfaces.web.rate_limit` allows each client. */
export interface RateLimit {
  /** Requests a second a client may keep up; 0 turns the limit off. */
  readonly requestsPerSecond: number;
  /** Requests a client may make at once, above that rate, after a quiet spell. */
  readonly burst: number;
}

export type Admission = { readonly admitted: true } | { readonly admitted: false; readonly retryAfterSeconds: number };

interface Bucket {
  tokens: number;
  at: number;
}

/** How many clients are remembered at most: beyond it, those seen least recently are forgotten (and start again with a full burst). */
export const MAX_CLIENTS = 10_000;

/**
 * A token bucket per client: each holds up to `burst` requests and refills at
 * `requestsPerSecond`; a request takes one, or is refused with the seconds
 * until one is back. The clock is the caller's (milliseconds), so that the
 * arithmetic is tested without waiting. Memory is bounded: a client whose
 * bucket has refilled is the same as one never seen, and past MAX_CLIENTS the
 * least recently seen are dropped.
 */
export class TokenBuckets {
  private readonly buckets = new Map<string, Bucket>();

  constructor(
    private readonly limit: RateLimit,
    private readonly maxClients = MAX_CLIENTS,
  ) {}

  get size(): number {
    return this.buckets.size;
  }

  take(client: string, nowMs: number): Admission {
    const { requestsPerSecond: rate, burst } = this.limit;
    if (rate <= 0) return { admitted: true };
    const known = this.buckets.get(client);
    // Refilled since last seen; a clock that went back refills nothing.
    const tokens = known === undefined ? burst : Math.min(burst, known.tokens + (Math.max(0, nowMs - known.at) / 1000) * rate);
    // Most recently seen last: the map's order is the order of forgetting.
    this.buckets.delete(client);
    if (tokens < 1) {
      this.buckets.set(client, { tokens, at: nowMs });
      return { admitted: false, retryAfterSeconds: Math.max(1, Math.ceil((1 - tokens) / rate)) };
    }
    this.buckets.set(client, { tokens: tokens - 1, at: nowMs });
    this.forgetBeyond(this.maxClients);
    return { admitted: true };
  }

  private forgetBeyond(max: number): void {
    if (this.buckets.size <= max) return;
    for (const client of this.buckets.keys()) {
      if (this.buckets.size <= max) return;
      this.buckets.delete(client);
    }
  }
}
