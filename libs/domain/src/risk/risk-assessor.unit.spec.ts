import { assessRisk, compareRiskLevels, riskLevelRank, type RiskInput, type RiskLevel, type RiskSettings, type SiemRiskContext } from '@medic/domain';
import { aReport, NO_HISTORY, RISK_SETTINGS, thrownBy } from '../../test/domain-fixtures';

/*
 * Expected numbers are worked out by hand from the weights in RISK_SETTINGS
 * (confidence 0.3, SIEM 0.25, false positives 0.2, criticality 0.15, severity 0.1)
 * and the criticalities nginx-test 0.2, auth-service 0.9, core-db 1, default 0.5.
 */

const siem = (riskScore: number, falsePositiveHistory: number): SiemRiskContext => ({ riskScore, falsePositiveHistory });

interface Row {
  readonly name: string;
  readonly input: RiskInput;
  readonly score: number;
  readonly level: RiskLevel;
  readonly coverage: number;
}

const rows: Row[] = [
  {
    // No SIEM: its 0.25 goes to the others, ×1/0.75. No prior kills: neutral 0.5.
    // (0.3×0.4 + 0.2×0.5 + 0.15×0.2 + 0.1×0.25) / 0.75 = 0.275 / 0.75 = 0.36667
    name: 'demo-1 without SIEM or history',
    input: { report: aReport(), siem: null, history: NO_HISTORY },
    score: 0.3667,
    level: 'low',
    coverage: 0.75,
  },
  {
    // 0.3×0.9 + 0.25×0.8 + 0.2×1 + 0.15×0.9 + 0.1×0.75 = 0.27 + 0.2 + 0.2 + 0.135 + 0.075
    name: 'confident high-severity kill of auth-service the SIEM agrees with',
    input: { report: aReport({ confidenceScore: 0.9, severity: 'high', targetModule: 'auth-service' }), siem: siem(0.8, 0), history: NO_HISTORY },
    score: 0.88,
    level: 'critical',
    coverage: 1,
  },
  {
    // 0.3×0.5 + 0.25×0.2 + 0.2×(1/4) + 0.15×0.5 + 0.1×0.5 = 0.15 + 0.05 + 0.05 + 0.075 + 0.05
    name: 'medium kill of a default module with 3 SIEM false positives',
    input: { report: aReport({ confidenceScore: 0.5, severity: 'medium', targetModule: 'billing' }), siem: siem(0.2, 3), history: NO_HISTORY },
    score: 0.375,
    level: 'low',
    coverage: 1,
  },
  {
    // History from the log (1 FP in 4 kills → 0.5): (0.3×1 + 0.2×0.5 + 0.15×0.5 + 0.1×1) / 0.75 = 0.575 / 0.75
    name: 'certain critical kill, no SIEM, one false positive in the log',
    input: {
      report: aReport({ confidenceScore: 1, severity: 'critical', targetModule: 'billing' }),
      siem: null,
      history: { priorKills: 4, priorResurrections: 3, falsePositives: 1, reKills: 0 },
    },
    score: 0.7667,
    level: 'high',
    coverage: 0.75,
  },
  {
    // Prior kills but no false positives → 1: (0.3×0.2 + 0.2×1 + 0.15×0.2 + 0) / 0.75 = 0.29 / 0.75
    name: 'info kill, no SIEM, two prior kills without false positives',
    input: {
      report: aReport({ confidenceScore: 0.2, severity: 'info' }),
      siem: null,
      history: { priorKills: 2, priorResurrections: 2, falsePositives: 0, reKills: 0 },
    },
    score: 0.3867,
    level: 'low',
    coverage: 0.75,
  },
  {
    // 0 + 0 + 0.2×(1/10) + 0.15×0.2 + 0 = 0.02 + 0.03
    name: 'unsure info kill the SIEM calls harmless, 9 false positives',
    input: { report: aReport({ confidenceScore: 0, severity: 'info' }), siem: siem(0, 9), history: NO_HISTORY },
    score: 0.05,
    level: 'minimal',
    coverage: 1,
  },
  {
    name: 'every factor at its maximum',
    input: { report: aReport({ confidenceScore: 1, severity: 'critical', targetModule: 'core-db' }), siem: siem(1, 0), history: NO_HISTORY },
    score: 1,
    level: 'critical',
    coverage: 1,
  },
];

describe('assessRisk: scores and levels', () => {
  it.each(rows)('$name → $score ($level)', ({ input, score, level, coverage }) => {
    const risk = assessRisk(input, RISK_SETTINGS);
    expect(risk).toMatchObject({ score, level, coverage });
    // The contributions add up to the score.
    expect(risk.factors.reduce((sum, f) => sum + f.contribution, 0)).toBeCloseTo(score, 4);
  });

  it('redistributes the missing SIEM weight proportionally and says so', () => {
    const risk = assessRisk({ report: aReport(), siem: null, history: NO_HISTORY }, RISK_SETTINGS);
    const byName = Object.fromEntries(risk.factors.map((f) => [f.name, f]));
    expect(byName.siem_risk_score).toMatchObject({ observed: false, weight: 0, contribution: 0 });
    expect(byName.siem_risk_score?.explanation).toContain('redistributed over the observed factors');
    expect(byName.smith_confidence?.weight).toBeCloseTo(0.4, 10);
    expect(byName.false_positive_history?.weight).toBeCloseTo(0.2667, 4);
    expect(byName.module_criticality?.weight).toBeCloseTo(0.2, 10);
    expect(byName.severity?.weight).toBeCloseTo(0.1333, 4);
    expect(byName.smith_confidence?.explanation).toContain('Weight raised from 0.3 to 0.4');
    expect(byName.false_positive_history).toMatchObject({ normalized: 0.5, observed: true });
    expect(byName.false_positive_history?.explanation).toContain('No history');
  });

  it('explains every factor in one line', () => {
    const risk = assessRisk(rows[2]!.input, RISK_SETTINGS);
    expect(risk.factors.map((f) => f.name)).toEqual(['smith_confidence', 'siem_risk_score', 'false_positive_history', 'module_criticality', 'severity']);
    for (const factor of risk.factors) {
      expect(factor.explanation).toMatch(/^[^\n]+\.$/);
    }
    expect(risk.factors[2]?.explanation).toBe('3 false positives according to the SIEM: 1/(1+3) = 0.25.');
    expect(risk.factors[3]?.explanation).toBe('Module billing has criticality 0.5 (the default).');
  });

  it('uses the default criticality for a module named like an Object.prototype member', () => {
    const risk = assessRisk({ report: aReport({ targetModule: 'constructor' }), siem: siem(0.5, 1), history: NO_HISTORY }, RISK_SETTINGS);
    expect(risk.factors.find((f) => f.name === 'module_criticality')?.normalized).toBe(0.5);
  });
});

describe('assessRisk: thresholds', () => {
  // Only confidence and SIEM count, half each: the score is their mean.
  const halves: RiskSettings = {
    ...RISK_SETTINGS,
    weights: { smith_confidence: 0.5, siem_risk_score: 0.5, false_positive_history: 0, module_criticality: 0, severity: 0 },
  };
  const scoreOf = (confidence: number, siemScore: number) =>
    assessRisk({ report: aReport({ confidenceScore: confidence }), siem: siem(siemScore, 0), history: NO_HISTORY }, halves);

  it.each([
    [0, 0, 0, 'minimal'],
    [0.1998, 0.2, 0.1999, 'minimal'],
    [0.2, 0.2, 0.2, 'low'],
    [0.3998, 0.4, 0.3999, 'low'],
    [0.4, 0.4, 0.4, 'medium'],
    [0.5998, 0.6, 0.5999, 'medium'],
    [0.6, 0.6, 0.6, 'high'],
    [0.7998, 0.8, 0.7999, 'high'],
    [0.8, 0.8, 0.8, 'critical'],
    [1, 1, 1, 'critical'],
  ] as const)('confidence %p and SIEM %p score %p: %s', (confidence, siemScore, score, level) => {
    expect(scoreOf(confidence, siemScore)).toMatchObject({ score, level });
  });

  it('gives the whole weight to confidence when the SIEM is missing', () => {
    const risk = assessRisk({ report: aReport({ confidenceScore: 0.4 }), siem: null, history: NO_HISTORY }, halves);
    expect(risk).toMatchObject({ score: 0.4, level: 'medium', coverage: 0.5 });
  });

  it('clamps the score to 1 when the weights add up to more than 1', () => {
    const heavy: RiskSettings = {
      ...RISK_SETTINGS,
      weights: { smith_confidence: 0.5, siem_risk_score: 0.5, false_positive_history: 0.5, module_criticality: 0.5, severity: 0.5 },
    };
    expect(assessRisk(rows[6]!.input, heavy).score).toBe(1);
  });

  it('refuses weights that are all zero or negative', () => {
    const zero: RiskSettings = {
      ...RISK_SETTINGS,
      weights: { smith_confidence: 0, siem_risk_score: 0, false_positive_history: 0, module_criticality: 0, severity: 0 },
    };
    const negative: RiskSettings = { ...RISK_SETTINGS, weights: { ...RISK_SETTINGS.weights, severity: -0.1 } };
    expect(thrownBy(() => assessRisk(rows[0]!.input, zero))).toMatchObject({ code: 'invalid_risk_settings' });
    expect(thrownBy(() => assessRisk(rows[0]!.input, negative))).toMatchObject({ code: 'invalid_risk_settings' });
  });
});

describe('risk level order', () => {
  it('ranks minimal < low < medium < high < critical', () => {
    expect((['minimal', 'low', 'medium', 'high', 'critical'] as const).map(riskLevelRank)).toEqual([0, 1, 2, 3, 4]);
    const shuffled: RiskLevel[] = ['high', 'minimal', 'critical', 'low', 'medium'];
    expect([...shuffled].sort(compareRiskLevels)).toEqual(['minimal', 'low', 'medium', 'high', 'critical']);
    expect(compareRiskLevels('low', 'low')).toBe(0);
  });
});
