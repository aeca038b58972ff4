import { afterFailure, backoffDelay, DEFAULT_RESTART_POLICY, unresponsiveLimitMs, type RestartPolicy } from './supervision';

const policy: RestartPolicy = {
  initialDelayMs: 500,
  maxDelayMs: 10_000,
  stableAfterMs: 30_000,
  maxFailuresInARow: 5,
  liveness: DEFAULT_RESTART_POLICY.liveness,
};

describe('backoffDelay', () => {
  it('starts at the initial delay and doubles up to the cap', () => {
    expect([1, 2, 3, 4, 5, 6, 7].map((n) => backoffDelay(policy, n))).toEqual([500, 1_000, 2_000, 4_000, 8_000, 10_000, 10_000]);
  });

  it('stays at the cap however long the series, and never below the initial delay', () => {
    expect(backoffDelay(policy, 10_000)).toBe(10_000);
    expect(backoffDelay(policy, 0)).toBe(500);
  });
});

describe('afterFailure', () => {
  it('restarts quickly after a process that had been up a while dies', () => {
    expect(afterFailure(policy, 4, 60_000)).toEqual({ kind: 'restart', delayMs: 500, failuresInARow: 1 });
  });

  it('backs off when a process dies again soon after a restart', () => {
    expect(afterFailure(policy, 1, 2_000)).toEqual({ kind: 'restart', delayMs: 1_000, failuresInARow: 2 });
    expect(afterFailure(policy, 3, 0)).toEqual({ kind: 'restart', delayMs: 4_000, failuresInARow: 4 });
  });

  it('gives up once a process has failed more times in a row than allowed', () => {
    expect(afterFailure(policy, 4, 0)).toEqual({ kind: 'restart', delayMs: 8_000, failuresInARow: 5 });
    expect(afterFailure(policy, 5, 1_000)).toEqual({ kind: 'give-up', failuresInARow: 6 });
  });

  it('a run that reached the stable time starts a new series even after many failures', () => {
    expect(afterFailure(policy, 5, 30_000)).toMatchObject({ kind: 'restart', failuresInARow: 1 });
  });
});

describe('unresponsiveLimitMs', () => {
  it('gives a service the service limit, and the broker and Postgres the longer one', () => {
    expect(unresponsiveLimitMs(policy.liveness, 'service')).toBe(30_000);
    expect(unresponsiveLimitMs(policy.liveness, 'kafka')).toBe(60_000);
    expect(unresponsiveLimitMs(policy.liveness, 'postgres')).toBe(60_000);
  });

  it('by default, asks often enough that a check missed by chance never decides alone', () => {
    const { liveness } = DEFAULT_RESTART_POLICY;
    expect(liveness.checkMs).toBeLessThan(liveness.intervalMs);
    expect(liveness.serviceMs / liveness.intervalMs).toBeGreaterThanOrEqual(5);
  });
});
