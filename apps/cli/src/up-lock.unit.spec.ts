import { lockHolder } from './up-lock';

describe('lockHolder', () => {
  const alive = (pid: number) => pid === 42;

  it('names the pid of a lock whose process lives', () => {
    expect(lockHolder('{"pid":42,"started_at":"2026-12-01T09:00:00Z"}\n', alive)).toBe(42);
  });

  it('treats a lock whose process is gone as stale', () => {
    expect(lockHolder('{"pid":7}', alive)).toBeUndefined();
  });

  it('treats a missing or unreadable lock as stale', () => {
    expect(lockHolder(undefined, alive)).toBeUndefined();
    expect(lockHolder('', alive)).toBeUndefined();
    expect(lockHolder('{"pid":"42"}', alive)).toBeUndefined();
    expect(lockHolder('{"pid":-1}', () => true)).toBeUndefined();
  });
});
