import { TokenBuckets } from './rate-limit';

describe('rate limit token buckets', () => {
  const admitted = (buckets: TokenBuckets, client: string, at: number, n: number) => Array.from({ length: n }, () => buckets.take(client, at).admitted).filter(Boolean).length;

  it('admits a burst at once, then refuses with the seconds until a request is allowed again', () => {
    const buckets = new TokenBuckets({ requestsPerSecond: 2, burst: 5 });
    expect(admitted(buckets, 'a', 0, 5)).toBe(5);
    expect(buckets.take('a', 0)).toEqual({ admitted: false, retryAfterSeconds: 1 });
    // Half a second later one request's worth is back, and only one.
    expect(admitted(buckets, 'a', 500, 3)).toBe(1);
  });

  it('keeps up the rate, never more, however the requests are spread', () => {
    const buckets = new TokenBuckets({ requestsPerSecond: 10, burst: 10 });
    let total = 0;
    // 100 requests a second for 10 s, after the burst: 10 a second get through.
    for (let ms = 0; ms < 10_000; ms += 10) total += admitted(buckets, 'a', ms, 1);
    expect(total).toBeGreaterThanOrEqual(10 + 99);
    expect(total).toBeLessThanOrEqual(10 + 101);
  });

  it('counts each client apart', () => {
    const buckets = new TokenBuckets({ requestsPerSecond: 1, burst: 2 });
    expect(admitted(buckets, 'a', 0, 3)).toBe(2);
    expect(admitted(buckets, 'b', 0, 3)).toBe(2);
  });

  it('says how long to wait at a slow rate, rounded up to whole seconds', () => {
    const buckets = new TokenBuckets({ requestsPerSecond: 0.1, burst: 1 });
    expect(buckets.take('a', 0).admitted).toBe(true);
    expect(buckets.take('a', 0)).toEqual({ admitted: false, retryAfterSeconds: 10 });
    expect(buckets.take('a', 4_000)).toEqual({ admitted: false, retryAfterSeconds: 6 });
    expect(buckets.take('a', 10_000).admitted).toBe(true);
  });

  it('refills nothing when the clock goes back, and never above the burst', () => {
    const buckets = new TokenBuckets({ requestsPerSecond: 1, burst: 2 });
    expect(admitted(buckets, 'a', 10_000, 2)).toBe(2);
    expect(buckets.take('a', 5_000).admitted).toBe(false);
    // An hour idle gives back the burst, not 3,600 requests.
    expect(admitted(buckets, 'a', 3_610_000, 10)).toBe(2);
  });

  it('is off at 0 requests a second', () => {
    const buckets = new TokenBuckets({ requestsPerSecond: 0, burst: 1 });
    expect(admitted(buckets, 'a', 0, 1_000)).toBe(1_000);
    expect(buckets.size).toBe(0);
  });

  it('remembers a bounded number of clients, forgetting those seen least recently', () => {
    const buckets = new TokenBuckets({ requestsPerSecond: 1, burst: 1 }, 3);
    for (const client of ['a', 'b', 'c']) buckets.take(client, 0);
    // a is seen again: b is now the least recent, and goes when d comes.
    expect(buckets.take('a', 0).admitted).toBe(false);
    buckets.take('d', 0);
    expect(buckets.size).toBe(3);
    expect(buckets.take('b', 0).admitted).toBe(true);
    expect(buckets.take('a', 0).admitted).toBe(false);
    // 100,000 addresses at once keep the memory at the bound.
    for (let i = 0; i < 100_000; i += 1) buckets.take(`x${i}`, 0);
    expect(buckets.size).toBe(3);
  });
});
