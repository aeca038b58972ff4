import { afterRefusal, attemptDelayMs } from './retry-attempts';

describe('retrying a resurrection the container engine refused', () => {
  it('waits nothing before a first attempt, then 2 s, 4 s, 8 s… and never more than a minute', () => {
    expect([1, 2, 3, 4, 5, 6, 7, 8, 20].map(attemptDelayMs)).toEqual([0, 2_000, 4_000, 8_000, 16_000, 32_000, 60_000, 60_000, 60_000]);
  });

  it('tries again while retries are left, saying which attempt failed and when the next comes', () => {
    expect(afterRefusal(1, 2)).toEqual({ retriable: true, note: 'attempt 1 of 3; tried again in 2 seconds' });
    expect(afterRefusal(2, 2)).toEqual({ retriable: true, note: 'attempt 2 of 3; tried again in 4 seconds' });
  });

  it('gives up after the last retry', () => {
    expect(afterRefusal(3, 2)).toEqual({ retriable: false, note: 'attempt 3 of 3; no more attempts (resurrection.max_retry_attempts is 2)' });
  });

  it('makes one attempt only when no retries are configured', () => {
    expect(afterRefusal(1, 0)).toEqual({ retriable: false, note: 'attempt 1 of 1; no more attempts (resurrection.max_retry_attempts is 0)' });
  });
});
