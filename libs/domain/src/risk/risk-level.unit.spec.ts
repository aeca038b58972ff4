import { inRiskOrder, riskLevelFor } from './risk-level';
import type { RiskThresholds } from './risk.types';

describe('risk levels', () => {
  const thresholds: RiskThresholds = { minimal: 0.2, low: 0.4, medium: 0.6, high: 0.8 };

  it('classifies a score by the first threshold it is below', () => {
    expect([0.1, 0.2, 0.39, 0.6, 0.8].map((s) => riskLevelFor(s, thresholds))).toEqual(['minimal', 'low', 'low', 'high', 'critical']);
  });

  it('puts thresholds read back from jsonb (keys by length) in order from minimal to high', () => {
    const fromJsonb = JSON.parse('{"low": 0.4, "high": 0.8, "medium": 0.6, "minimal": 0.2}') as RiskThresholds;
    expect(Object.keys(inRiskOrder(fromJsonb))).toEqual(['minimal', 'low', 'medium', 'high']);
    expect(inRiskOrder(fromJsonb)).toEqual(thresholds);
  });
});
