import { tallyChanges } from './projection';

describe('tallyChanges', () => {
  const byLevel = (row: { level: string; open: boolean }) => [`level:${row.level}`, ...(row.open ? ['open'] : [])];

  it('takes away what the changed rows counted toward before and adds what they count toward now', () => {
    const before = [
      { level: 'low', open: true },
      { level: 'high', open: false },
    ];
    const after = [
      { level: 'high', open: false },
      { level: 'high', open: false },
      { level: 'critical', open: true },
    ];
    expect(Object.fromEntries(tallyChanges(byLevel, before, after))).toEqual({ 'level:low': -1, 'level:high': 1, 'level:critical': 1 });
  });

  it('leaves out what did not change, and counts a new row once and a dropped one away', () => {
    expect(tallyChanges(byLevel, [{ level: 'low', open: true }], [{ level: 'low', open: true }]).size).toBe(0);
    expect(Object.fromEntries(tallyChanges(byLevel, [], [{ level: 'low', open: false }]))).toEqual({ 'level:low': 1 });
    expect(Object.fromEntries(tallyChanges(byLevel, [{ level: 'low', open: true }], []))).toEqual({ 'level:low': -1, open: -1 });
  });
});
