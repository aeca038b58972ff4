import { assessRisk, compareRiskLevels, heldDownBy, riskLevelRank, type ModuleHistory, type RiskInput, type RiskLevel, type RiskSettings, type SiemRiskContext } from '@medic/domain';
import { aReport, NO_HISTORY, RISK_SETTINGS, thrownBy } from '../../test/domain-fixtures';

/*
 * Expected numbers are worked out by hand from the weights in RISK_SETTINGS
 * (likelihood: confidence 0.3, SIEM 0.25, record 0.2; impact: criticality 0.15,
 * severity 0.1), the criticalities nginx-test 0.2, auth-service 0.9, core-db 1,
 * default 0.5, and score = L × (1 + I) / 2.
 */

const siem = (riskScore: number, falsePositiveHistory: number): SiemRiskContext => ({ riskScore, falsePositiveHistory });
const history = (h: Partial<ModuleHistory>): ModuleHistory => ({ ...NO_HISTORY, ...h });
const noSiem = { siem: null, siemConfigured: false } as const;

interface Row {
  readonly name: string;
  readonly input: RiskInput;
  readonly score: number;
  readonly level: RiskLevel;
  readonly coverage: number;
}

const rows: Row[] = [
  {
    // No SIEM configured and no outcomes: both out of the model. L = 0.4;
    // I = (0.15×0.2 + 0.1×0.25) / 0.25 = 0.22; 0.4 × 1.22 / 2 = 0.244.
    name: 'demo-1, no SIEM configured, no history',
    input: { report: aReport(), ...noSiem, history: NO_HISTORY },
    score: 0.244,
    level: 'low',
    coverage: 1,
  },
  {
    // The same with a SIEM that did not answer: same score, its 0.25 missing: 0.55 / 0.8.
    name: 'demo-1, the SIEM down',
    input: { report: aReport(), siem: null, siemConfigured: true, history: NO_HISTORY },
    score: 0.244,
    level: 'low',
    coverage: 0.6875,
  },
  {
    // L = (0.3×0.9 + 0.25×0.8) / 0.55 = 0.854545; I = (0.15×0.9 + 0.1×0.75) / 0.25 = 0.84; × 1.84 / 2.
    name: 'confident high-severity kill of auth-service the SIEM agrees with',
    input: { report: aReport({ confidenceScore: 0.9, severity: 'high', targetModule: 'auth-service' }), siem: siem(0.8, 0), siemConfigured: true, history: NO_HISTORY },
    score: 0.7862,
    level: 'high',
    coverage: 1,
  },
  {
    // Record (0+1)/(3+2) = 0.2; L = (0.3×0.5 + 0.25×0.2 + 0.2×0.2) / 0.75 = 0.32; I = 0.5; 0.32 × 1.5 / 2.
    name: 'medium kill of a default module with 3 SIEM false positives',
    input: { report: aReport({ confidenceScore: 0.5, severity: 'medium', targetModule: 'billing' }), siem: siem(0.2, 3), siemConfigured: true, history: NO_HISTORY },
    score: 0.24,
    level: 'low',
    coverage: 1,
  },
  {
    // Record (1+1)/(2+2) = 0.5; L = (0.3×1 + 0.2×0.5) / 0.5 = 0.8; I = (0.15×0.5 + 0.1×1) / 0.25 = 0.7; 0.8 × 1.7 / 2.
    name: 'certain critical kill, no SIEM, one stable resurrection and one re-kill',
    input: { report: aReport({ confidenceScore: 1, severity: 'critical', targetModule: 'billing' }), ...noSiem, history: history({ priorKills: 4, priorResurrections: 2, falsePositives: 1, reKills: 1 }) },
    score: 0.68,
    level: 'high',
    coverage: 1,
  },
  {
    // Kills with no outcome yet are neutral, not damning: L = 0.2; I = (0.15×0.5) / 0.25 = 0.3; 0.2 × 1.3 / 2.
    name: 'info kill, no SIEM, two prior kills and no outcomes yet',
    input: { report: aReport({ confidenceScore: 0.2, severity: 'info', targetModule: 'billing' }), ...noSiem, history: history({ priorKills: 2, priorResurrections: 2 }) },
    score: 0.13,
    level: 'minimal',
    coverage: 1,
  },
  {
    // Record (0+1)/(3+2) = 0.2; L = (0.3×0.2 + 0.2×0.2) / 0.5 = 0.2; I = 0.3; 0.2 × 1.3 / 2.
    name: 'info kill, no SIEM, three resurrections that stayed stable',
    input: { report: aReport({ confidenceScore: 0.2, severity: 'info', targetModule: 'billing' }), ...noSiem, history: history({ priorKills: 3, priorResurrections: 3, falsePositives: 3 }) },
    score: 0.13,
    level: 'minimal',
    coverage: 1,
  },
  {
    // Record (3+1)/(3+2) = 0.8; L = (0.3×0.6 + 0.2×0.8) / 0.5 = 0.68; I = (0.15×0.5 + 0.1×0.75) / 0.25 = 0.6; 0.68 × 1.6 / 2.
    name: 'high-severity kill of a module re-killed twice and rolled back once',
    input: { report: aReport({ confidenceScore: 0.6, severity: 'high', targetModule: 'billing' }), ...noSiem, history: history({ priorKills: 3, priorResurrections: 3, reKills: 2, rollbacks: 1 }) },
    score: 0.544,
    level: 'medium',
    coverage: 1,
  },
  {
    // The reboot plan's high-risk test: L = 0.99; I = 0.7; 0.99 × 1.7 / 2 = 0.8415.
    name: 'near-certain critical threat, no SIEM, no history',
    input: { report: aReport({ confidenceScore: 0.99, severity: 'critical', killReason: 'threat_detected', targetModule: 'billing' }), ...noSiem, history: NO_HISTORY },
    score: 0.8415,
    level: 'critical',
    coverage: 1,
  },
  {
    name: 'every factor at its maximum',
    input: { report: aReport({ confidenceScore: 1, severity: 'critical', targetModule: 'core-db' }), siem: siem(1, 0), siemConfigured: true, history: NO_HISTORY },
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

  it('leaves an unconfigured SIEM and a history without outcomes out of the model, and says so', () => {
    const risk = assessRisk(rows[0]!.input, RISK_SETTINGS);
    const byName = Object.fromEntries(risk.factors.map((f) => [f.name, f]));
    expect(byName.siem_risk_score).toMatchObject({ outOfModel: true, weight: 0, contribution: 0 });
    expect(byName.siem_risk_score?.explanation).toContain('No SIEM is configured');
    expect(byName.false_positive_history).toMatchObject({ outOfModel: true, weight: 0, contribution: 0 });
    expect(byName.false_positive_history?.explanation).toContain('neutral');
    // Likelihood: confidence alone carries its half. Impact: L/2 over the impact weights.
    expect(byName.smith_confidence?.weight).toBeCloseTo(0.5, 4);
    expect(byName.module_criticality?.weight).toBeCloseTo(0.4 * 0.6 * 0.5, 4);
    expect(byName.severity?.weight).toBeCloseTo(0.4 * 0.4 * 0.5, 4);
    expect(risk).toMatchObject({ likelihood: 0.4, impact: 0.22 });
  });

  it('counts a SIEM that did not answer as missing', () => {
    const risk = assessRisk(rows[1]!.input, RISK_SETTINGS);
    const factor = risk.factors.find((f) => f.name === 'siem_risk_score');
    expect(factor).toMatchObject({ outOfModel: false, observed: false, weight: 0 });
    expect(factor?.explanation).toContain('coverage drops');
  });

  it('explains every factor in one line', () => {
    const risk = assessRisk(rows[3]!.input, RISK_SETTINGS);
    expect(risk.factors.map((f) => f.name)).toEqual(['smith_confidence', 'siem_risk_score', 'false_positive_history', 'module_criticality', 'severity']);
    for (const factor of risk.factors) {
      expect(factor.explanation).toMatch(/^[^\n]+\.$/);
    }
    expect(risk.factors[2]?.explanation).toMatch(/^3 false positives and 0 kills proven right \(re-killed or rolled back\) according to outcomes and the SIEM: \(0\+1\)\/\(3\+2\) = 0.2\./);
    expect(risk.factors[3]?.explanation).toMatch(/^Module billing has criticality 0.5 \(the default\)\./);
  });

  it('uses the default criticality for a module named like an Object.prototype member', () => {
    const risk = assessRisk({ report: aReport({ targetModule: 'constructor' }), siem: siem(0.5, 1), siemConfigured: true, history: NO_HISTORY }, RISK_SETTINGS);
    expect(risk.factors.find((f) => f.name === 'module_criticality')?.normalized).toBe(0.5);
  });
});

describe('assessRisk: thresholds', () => {
  // Likelihood from confidence and SIEM, half each; impact 1 (core-db alone): the score is their mean.
  const halves: RiskSettings = {
    ...RISK_SETTINGS,
    weights: { smith_confidence: 0.5, siem_risk_score: 0.5, false_positive_history: 0, module_criticality: 0.1, severity: 0 },
  };
  const scoreOf = (confidence: number, siemScore: number) =>
    assessRisk({ report: aReport({ confidenceScore: confidence, targetModule: 'core-db' }), siem: siem(siemScore, 0), siemConfigured: true, history: NO_HISTORY }, halves);

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

  it('gives the likelihood to confidence alone when the SIEM is down, and lowers the coverage', () => {
    const risk = assessRisk({ report: aReport({ confidenceScore: 0.4, targetModule: 'core-db' }), siem: null, siemConfigured: true, history: NO_HISTORY }, halves);
    // In the model: 0.5 + 0.5 + 0.1 + 0 (severity); observed: 0.5 + 0.1 + 0.
    expect(risk).toMatchObject({ score: 0.4, level: 'medium', coverage: 0.5455 });
  });

  it('never scores above 1, whatever the weights add up to', () => {
    const heavy: RiskSettings = {
      ...RISK_SETTINGS,
      weights: { smith_confidence: 0.5, siem_risk_score: 0.5, false_positive_history: 0.5, module_criticality: 0.5, severity: 0.5 },
    };
    expect(assessRisk(rows[rows.length - 1]!.input, heavy).score).toBe(1);
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

describe('heldDownBy: what kept the score low', () => {
  it('names the factors below the rest of their side, with the score each one\'s absence would give, most first', () => {
    // Row 4: L = 0.32, I = 0.5, score 0.24. Without the SIEM (0.2): L = (0.15 + 0.04) / 0.5 = 0.38 → 0.285.
    // Without the record (0.2): L = (0.15 + 0.05) / 0.55 = 0.363636 → 0.2727. Smith (0.5) and the impact side hold nothing down.
    const risk = assessRisk(rows[3]!.input, RISK_SETTINGS);
    expect(heldDownBy(risk)).toEqual([
      { name: 'siem_risk_score', normalized: 0.2, scoreWithout: 0.285 },
      { name: 'false_positive_history', normalized: 0.2, scoreWithout: 0.2727 },
    ]);
    expect(heldDownBy(risk, 0.04)).toEqual([{ name: 'siem_risk_score', normalized: 0.2, scoreWithout: 0.285 }]);
  });

  it('leaves out a factor alone on its side: without it that side would say nothing', () => {
    // Row 1: no SIEM, no history, so Smith's confidence is the likelihood alone. nginx-test's criticality 0.2 is below
    // severity low's 0.25: without it I = 0.25 and the score 0.4 × 1.25 / 2 = 0.25, up by 0.006, under the default 0.01.
    const risk = assessRisk(rows[0]!.input, RISK_SETTINGS);
    expect(heldDownBy(risk)).toEqual([]);
    expect(heldDownBy(risk, 0)).toEqual([{ name: 'module_criticality', normalized: 0.2, scoreWithout: 0.25 }]);
  });

  it('names no factor that itself says "risky", even below the rest of its side', () => {
    // Smith 0.96 beside a SIEM at 0.99: without Smith the likelihood would rise, but Smith did not speak for a restart.
    const risk = assessRisk({ report: aReport({ confidenceScore: 0.96, severity: 'critical', targetModule: 'core-db' }), siem: siem(0.99, 0), siemConfigured: true, history: NO_HISTORY }, RISK_SETTINGS);
    expect(heldDownBy(risk, 0)).toEqual([]);
  });

  it('names nothing when every factor of a side agrees', () => {
    const risk = assessRisk({ report: aReport({ confidenceScore: 0.5, severity: 'medium', targetModule: 'billing' }), siem: siem(0.5, 0), siemConfigured: true, history: NO_HISTORY }, RISK_SETTINGS);
    expect(heldDownBy(risk)).toEqual([]);
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
