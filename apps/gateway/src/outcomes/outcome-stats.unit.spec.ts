import { outcomeStats, type OutcomeCounts } from './outcome-stats';

const row = (grouping: OutcomeCounts['grouping'], key: string | null, result: string, n: number, stable: [number, number] = [0, 0]): OutcomeCounts => ({
  grouping,
  key,
  result,
  n,
  stable_seconds: stable[1] === 0 ? null : stable[0],
  stable_n: stable[1],
});

describe('outcome statistics', () => {
  it('gives rates and the mean time to stable overall, per module and per risk level', () => {
    const stats = outcomeStats([
      row('overall', null, 'success', 3, [30, 3]),
      row('overall', null, 're_killed', 1),
      row('module', 'web', 'success', 2, [10, 2]),
      row('module', 'web', 're_killed', 1),
      row('module', 'db', 'success', 1, [20, 1]),
      row('risk_level', 'low', 'success', 3, [30, 3]),
      row('risk_level', 'unknown', 're_killed', 1),
    ]);
    expect(stats).toMatchObject({ total: 4, success_rate: 0.75, re_kill_rate: 0.25, rollback_rate: 0, mean_time_to_stable_seconds: 10 });
    expect(stats.by_result).toEqual({ success: 3, partial: 0, failure: 0, re_killed: 1, rollback: 0 });
    expect(stats.per_module).toEqual([
      expect.objectContaining({ module: 'web', total: 3, success_rate: 0.6667, re_kill_rate: 0.3333, mean_time_to_stable_seconds: 5 }),
      expect.objectContaining({ module: 'db', total: 1, success_rate: 1, mean_time_to_stable_seconds: 20 }),
    ]);
    expect(stats.per_risk_level.map((r) => [r.risk_level, r.total])).toEqual([
      ['low', 3],
      ['unknown', 1],
    ]);
  });

  it('has no rates and no mean when nothing was recorded', () => {
    expect(outcomeStats([])).toMatchObject({ total: 0, success_rate: null, re_kill_rate: null, mean_time_to_stable_seconds: null, per_module: [], per_risk_level: [] });
  });
});
