import { aggregateRisk, circuitAt, newCircuit, recordFailure, recordSuccess, retryDelayMs, siemRecommendation, tryCall, type CircuitBreaker } from '@medic/domain';

const SETTINGS = { failureThreshold: 3, recoveryTimeoutSeconds: 10, halfOpenMaxCalls: 2 };

describe('circuit breaker', () => {
  const failTimes = (b: CircuitBreaker, n: number, now: number) => Array.from({ length: n }).reduce<CircuitBreaker>((x) => recordFailure(x, SETTINGS, now), b);

  it('stays closed below the threshold and opens at it', () => {
    const b = failTimes(newCircuit('es'), 2, 1000);
    expect(b.state).toBe('closed');
    expect(tryCall(b, SETTINGS, 1000).allowed).toBe(true);
    const opened = recordFailure(b, SETTINGS, 2000);
    expect(opened).toMatchObject({ state: 'open', failureCount: 3, lastFailureAt: 2000 });
    expect(tryCall(opened, SETTINGS, 11_999).allowed).toBe(false);
  });

  it('half-opens after the recovery timeout, lets a few trial calls through, and closes on a success', () => {
    const opened = failTimes(newCircuit('es'), 3, 0);
    expect(circuitAt(opened, SETTINGS, 10_000).state).toBe('half_open');
    const first = tryCall(opened, SETTINGS, 10_000);
    const second = tryCall(first.breaker, SETTINGS, 10_001);
    const third = tryCall(second.breaker, SETTINGS, 10_002);
    expect([first.allowed, second.allowed, third.allowed]).toEqual([true, true, false]);
    expect(recordSuccess(second.breaker)).toMatchObject({ state: 'closed', failureCount: 0, halfOpenCalls: 0 });
  });

  it('opens again at once when a trial call fails', () => {
    const trial = tryCall(failTimes(newCircuit('es'), 3, 0), SETTINGS, 10_000).breaker;
    expect(recordFailure(trial, SETTINGS, 10_500)).toMatchObject({ state: 'open', lastFailureAt: 10_500 });
  });

  it('forgets earlier failures after a success', () => {
    const b = recordSuccess(failTimes(newCircuit('es'), 2, 0));
    expect(recordFailure(b, SETTINGS, 5).state).toBe('closed');
  });
});

describe('retry policy', () => {
  const policy = { maxAttempts: 4, initialDelaySeconds: 1, maxDelaySeconds: 3, exponentialBase: 2, jitter: false };

  it('backs off exponentially up to the cap, then gives up', () => {
    expect([1, 2, 3, 4].map((a) => retryDelayMs(policy, a, 0.5))).toEqual([1000, 2000, 3000, null]);
  });

  it('draws the wait from [0, backoff] with jitter', () => {
    expect(retryDelayMs({ ...policy, jitter: true }, 2, 0)).toBe(0);
    expect(retryDelayMs({ ...policy, jitter: true }, 2, 0.25)).toBe(500);
    expect(retryDelayMs({ ...policy, jitter: true }, 2, 0.999)).toBeLessThan(2000);
  });
});

describe('SIEM context', () => {
  const ind = (threatScore: number, value = `x${threatScore}`, source = 's') => ({ indicatorType: 'ip', value, threatScore, source, lastSeen: '2026-02-11T00:00:00.000Z', tags: [] });

  it('adds indicators up as independent chances', () => {
    expect(aggregateRisk([])).toBe(0);
    expect(aggregateRisk([ind(0.9)])).toBe(0.9);
    expect(aggregateRisk([ind(0.5, 'a'), ind(0.5, 'b')])).toBe(0.75);
    expect(aggregateRisk([ind(1), ind(0.1)])).toBe(1);
  });

  it('counts one sighting written twice once, at its highest score, but the same value from two sources twice', () => {
    expect(aggregateRisk([ind(0.5, 'a'), ind(0.5, 'a'), ind(0.4, 'a')])).toBe(0.5);
    expect(aggregateRisk([ind(0.5, 'a', 'feed-1'), ind(0.5, 'a', 'feed-2')])).toBe(0.75);
  });

  it('recommends from the risk and the false positives', () => {
    expect(siemRecommendation(0.9, 0)).toMatch(/^keep down/);
    expect(siemRecommendation(0.6, 0)).toMatch(/^review/);
    expect(siemRecommendation(0.05, 3)).toMatch(/^resurrect.*3 earlier false positives/);
    expect(siemRecommendation(0.3, 0)).toMatch(/^review: weak/);
  });
});
