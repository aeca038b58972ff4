import type { PolicySettings, RiskSettings, ThresholdsUpdated } from '@medic/domain';
import { changedThresholds, laterThresholds, thresholdsOf, thresholdsProblems, withThresholds, type DecisionThresholds } from './decision-thresholds';

const current: DecisionThresholds = { thresholds: { minimal: 0.2, low: 0.4, medium: 0.6, high: 0.8 }, maxRiskLevel: 'low', minConfidence: 0.85 };
const update = (at: string, actor: string, low: number): ThresholdsUpdated => ({
  type: 'ThresholdsUpdated',
  at,
  actor,
  thresholds: { ...current.thresholds, low },
  maxRiskLevel: 'low',
  minConfidence: 0.85,
  reason: 'r',
});

describe('thresholds changed at run time', () => {
  it('applies a partial change and keeps the rest', () => {
    expect(changedThresholds(current, { thresholds: { low: 0.3 }, minConfidence: 0.7 })).toEqual({
      thresholds: { minimal: 0.2, low: 0.3, medium: 0.6, high: 0.8 },
      maxRiskLevel: 'low',
      minConfidence: 0.7,
    });
    expect(changedThresholds(current, {})).toEqual(current);
  });

  it('finds nothing wrong with thresholds that can hold', () => {
    expect(thresholdsProblems(current)).toEqual([]);
    expect(thresholdsProblems({ ...current, maxRiskLevel: 'high', minConfidence: 0 })).toEqual([]);
  });

  it('names every bound out of (0, 1) or not above the one below, a level auto-approval cannot reach, and a confidence out of [0, 1]', () => {
    const bad: DecisionThresholds = { thresholds: { minimal: 0, low: 0.5, medium: 0.5, high: 1 }, maxRiskLevel: 'critical', minConfidence: 1.5 };
    expect(thresholdsProblems(bad)).toEqual([
      { field: 'thresholds.minimal', message: 'must be a number between 0 and 1 (exclusive), got 0' },
      { field: 'thresholds.high', message: 'must be a number between 0 and 1 (exclusive), got 1' },
      { field: 'thresholds.medium', message: 'must be greater than thresholds.low (0.5), got 0.5' },
      { field: 'max_risk_level', message: 'must be one of minimal, low, medium, high (critical is always denied)' },
      { field: 'min_confidence', message: 'must be a number from 0 to 1, got 1.5' },
    ]);
    expect(thresholdsProblems({ ...current, thresholds: { ...current.thresholds, low: Number.NaN } }).map((p) => p.field)).toContain('thresholds.low');
  });

  it('keeps the later of two updates whichever comes first, ties going to the actor named last', () => {
    const a = update('2026-12-02T10:00:00.000Z', 'alice', 0.3);
    const b = update('2026-12-02T11:00:00.000Z', 'bob', 0.35);
    expect(laterThresholds(a, b)).toBe(b);
    expect(laterThresholds(b, a)).toBe(b);
    expect(laterThresholds(null, a)).toBe(a);
    expect(laterThresholds(a, null)).toBe(a);
    const tie = update('2026-12-02T10:00:00.000Z', 'zoe', 0.25);
    expect(laterThresholds(a, tie)).toBe(tie);
    expect(laterThresholds(tie, a)).toBe(tie);
  });

  it('puts an update over the configured policy and risk settings, and nothing else', () => {
    const policy = { mode: 'semi_auto', autoApprove: { enabled: true, maxRiskLevel: 'low', minConfidence: 0.85 } } as unknown as PolicySettings;
    const risk = { weights: {}, thresholds: current.thresholds, moduleCriticality: { default: 0.5, modules: {} } } as unknown as RiskSettings;
    expect(withThresholds(policy, risk, null)).toEqual({ policy, risk });
    const next: DecisionThresholds = { thresholds: { minimal: 0.1, low: 0.3, medium: 0.5, high: 0.7 }, maxRiskLevel: 'medium', minConfidence: 0.6 };
    const applied = withThresholds(policy, risk, next);
    expect(applied.policy.autoApprove).toEqual({ enabled: true, maxRiskLevel: 'medium', minConfidence: 0.6 });
    expect(applied.policy.mode).toBe('semi_auto');
    expect(applied.risk.thresholds).toEqual(next.thresholds);
    expect(applied.risk.moduleCriticality).toBe(risk.moduleCriticality);
    expect(thresholdsOf(applied.policy, applied.risk)).toEqual(next);
  });
});
