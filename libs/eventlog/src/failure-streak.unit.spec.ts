import { failedCount, FailureStreak, FailureStreaks, messageOf } from './failure-streak';

describe('FailureStreak', () => {
  it('tells the first failure, keeps quiet on the same one, and tells it again with the count after repeatMs', () => {
    const streak = new FailureStreak(30_000);
    expect(streak.failed('the SIEM did not take 3 documents', 1_000)).toEqual({ tell: 'first', failures: 1, since: 1_000 });
    expect(streak.failed('the SIEM did not take 4 documents', 2_000)).toEqual({ tell: null, failures: 2, since: 1_000 });
    expect(streak.failed('the SIEM did not take 4 documents', 30_999)).toEqual({ tell: null, failures: 3, since: 1_000 });
    expect(streak.failed('the SIEM did not take 12 documents', 31_000)).toEqual({ tell: 'again', failures: 4, since: 1_000 });
    expect(streak.failed('the SIEM did not take 12 documents', 32_000)).toEqual({ tell: null, failures: 5, since: 1_000 });
  });

  it('tells a new reason at once, and counts it in the same run', () => {
    const streak = new FailureStreak(30_000);
    streak.failed('Elasticsearch is unreachable: connect ECONNREFUSED 127.0.0.1:9200', 0);
    expect(streak.failed('the elasticsearch circuit breaker is open since 2026-12-07T01:07:27.796Z after 5 failures', 500)).toEqual({ tell: 'changed', failures: 2, since: 0 });
    expect(streak.failed('the elasticsearch circuit breaker is open since 2026-12-07T01:07:27.796Z after 5 failures', 900)).toEqual({ tell: null, failures: 3, since: 0 });
  });

  it('ends the run on a success, once, with its length, and starts a new one on the next failure', () => {
    const streak = new FailureStreak(30_000);
    expect(streak.succeeded(0)).toBeNull();
    streak.failed('database down', 10_000);
    streak.failed('database down', 11_000);
    expect(streak.succeeded(22_345)).toEqual({ failures: 2, seconds: 12.3 });
    expect(streak.succeeded(23_000)).toBeNull();
    expect(streak.failed('database down', 24_000)).toEqual({ tell: 'first', failures: 1, since: 24_000 });
  });

  it('keeps a streak per partition: one that keeps failing while another flows is told once', () => {
    const streaks = new FailureStreaks(30_000);
    expect(streaks.failed('in/0', 'database down', 0).tell).toBe('first');
    expect(streaks.succeeded('in/1', 100)).toBeNull();
    expect(streaks.failed('in/0', 'database down', 200).tell).toBeNull();
    expect(streaks.succeeded('in/1', 300)).toBeNull();
    expect(streaks.failed('in/0', 'database down', 400)).toEqual({ tell: null, failures: 3, since: 0 });
    expect(streaks.failed('in/1', 'database down', 500)).toEqual({ tell: 'first', failures: 1, since: 500 });
    expect(streaks.succeeded('in/0', 1_000)).toEqual({ failures: 3, seconds: 1 });
    expect(streaks.succeeded('in/0', 1_100)).toBeNull();
  });

  it('counts failures in words', () => {
    expect(failedCount(1, 'attempt')).toBe('1 failed attempt');
    expect(failedCount(83, 'round')).toBe('83 failed rounds');
  });

  it('reads the reason of an Error or of anything thrown', () => {
    expect(messageOf(new Error('boom'))).toBe('boom');
    expect(messageOf('plain')).toBe('plain');
    expect(messageOf(42)).toBe('42');
  });
});
