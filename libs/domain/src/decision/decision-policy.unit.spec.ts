import {
  assessRisk,
  buildDecision,
  evaluatePolicy,
  MODES,
  RISK_LEVELS,
  type DecisionOutcome,
  type KillReport,
  type Mode,
  type PolicyInput,
  type PolicySettings,
  type RiskAssessment,
  type RiskLevel,
  type SiemGaps,
  type SiemStatus,
} from '@medic/domain';
import { aReport, NO_HISTORY, POLICY_SETTINGS, RISK_SETTINGS, THRESHOLDS } from '../../test/domain-fixtures';

/* The decision policy for every mode × risk level × constraint, then the wording of a verdict. */

// A score in the middle of each level, 0.1 from the thresholds: certainty 1.
const SCORE_OF: Record<RiskLevel, number> = { minimal: 0.1, low: 0.3, medium: 0.5, high: 0.7, critical: 0.9 };

function riskOf(level: RiskLevel, coverage = 1, score = SCORE_OF[level]): RiskAssessment {
  return {
    score,
    level,
    coverage,
    likelihood: score,
    impact: 1,
    factors: [
      { name: 'smith_confidence', raw: score, normalized: score, weight: 0.6, contribution: score * 0.6, observed: true, outOfModel: false, explanation: 'x.' },
      { name: 'severity', raw: score, normalized: score, weight: 0.4, contribution: score * 0.4, observed: true, outOfModel: false, explanation: 'y.' },
    ],
  };
}

interface Case {
  readonly report: KillReport;
  readonly coverage: number;
  readonly siemStatus: SiemStatus;
  readonly used: number;
  readonly settings: PolicySettings;
  readonly siemGaps?: SiemGaps;
  readonly recentKills?: number;
}

const clean: Case = { report: aReport(), coverage: 1, siemStatus: 'used', used: 3, settings: POLICY_SETTINGS };

/** Each constraint in isolation, with the words the reasoning must use for it. */
const CONSTRAINTS = {
  none: { ...clean, words: 'Eligible for auto-approval' },
  blacklisted: { ...clean, report: aReport({ targetModule: 'evil-module' }), words: 'Deny: module evil-module is blacklisted.' },
  always_require_approval: { ...clean, report: aReport({ targetModule: 'auth-service' }), words: 'module auth-service always requires human approval' },
  kill_reason: {
    ...clean,
    report: aReport({ killReason: 'manual_override' }),
    words: 'Smith killed the module for manual_override (someone ordered the kill by hand), and kills for that reason require human review',
  },
  budget_spent: { ...clean, used: 10, words: 'hourly auto-resurrection budget spent (10 of 10)' },
  kill_burst: { ...clean, recentKills: 31, words: 'more than 30 kills were reported within 60 s (a burst: an attack, a cascade or Smith misfiring)' },
  critical_severity: { ...clean, report: aReport({ severity: 'critical' }), words: 'severity is critical and critical kills require human review' },
  low_confidence: { ...clean, coverage: 0.75, words: 'decision confidence 0.75 is below the auto-approve minimum 0.85' },
  siem_unavailable: { ...clean, siemStatus: 'unavailable', words: 'No SIEM context was used: the SIEM was unavailable' },
  siem_unusable_indicators: {
    ...clean,
    siemGaps: { ignored: 2, unusableIndicators: 1 },
    words: "1 of the SIEM's indicators for the module could not be weighed, so a threat may have been missed",
  },
  smith_confident: {
    ...clean,
    report: aReport({ confidenceScore: 0.7 }),
    words: 'Smith is 0.7 sure it was a threat, at or above the confidence threshold 0.7',
  },
  auto_approve_disabled: {
    ...clean,
    settings: { ...POLICY_SETTINGS, autoApprove: { ...POLICY_SETTINGS.autoApprove, enabled: false } },
    words: 'auto-approval is disabled',
  },
} satisfies Record<string, Case & { words: string }>;
type Constraint = keyof typeof CONSTRAINTS;

/** The rules of the brief, restated: what each mode should make of a level and a constraint. */
function expectedOutcome(mode: Mode, level: RiskLevel, constraint: Constraint): DecisionOutcome {
  const denied = level === 'critical' || constraint === 'blacklisted';
  const eligible = !denied && (level === 'minimal' || level === 'low') && constraint === 'none';
  const semiAuto: DecisionOutcome = denied ? 'deny' : eligible ? 'approve_auto' : 'pending_review';
  if (mode === 'manual') return denied ? 'deny' : 'pending_review';
  const threatSign = constraint === 'none' || constraint === 'smith_confident' || constraint === 'critical_severity';
  if (mode === 'full_auto' && level === 'high' && threatSign) return 'deny';
  return semiAuto;
}

function wordsFor(level: RiskLevel, constraint: Constraint): string {
  const tooRisky = level !== 'minimal' && level !== 'low';
  if (constraint === 'none' && tooRisky) return `risk level ${level} is above the auto-approve maximum low`;
  return CONSTRAINTS[constraint].words;
}

function evaluate(mode: Mode, level: RiskLevel, c: Case) {
  const input: PolicyInput = {
    report: c.report,
    risk: riskOf(level, c.coverage),
    thresholds: THRESHOLDS,
    siemStatus: c.siemStatus,
    ...(c.siemGaps ? { siemGaps: c.siemGaps } : {}),
    ...(c.recentKills === undefined ? {} : { recentKills: c.recentKills }),
    autoResurrectionsLastHour: c.used,
  };
  return evaluatePolicy(input, { ...c.settings, mode });
}

const grid = MODES.flatMap((mode) =>
  RISK_LEVELS.flatMap((level) => (Object.keys(CONSTRAINTS) as Constraint[]).map((constraint) => ({ mode, level, constraint }))),
);

describe('evaluatePolicy: mode × risk level × constraint', () => {
  it.each(grid)('$mode, $level risk, $constraint', ({ mode, level, constraint }) => {
    const verdict = evaluate(mode, level, CONSTRAINTS[constraint]);
    const outcome = expectedOutcome(mode, level, constraint);
    expect(verdict.outcome).toBe(outcome);
    expect(verdict.observeOnly).toBe(mode === 'observer');
    expect(verdict.requiresHumanReview).toBe(outcome === 'pending_review' && mode !== 'observer');
    expect(verdict.autoApproveEligible).toBe(expectedOutcome('semi_auto', level, constraint) === 'approve_auto');
    expect(verdict.reasoning[0]).toMatch(/^Risk score \d/);
    expect(verdict.reasoning.join('\n')).toContain(wordsFor(level, constraint));
    if (level === 'critical') expect(verdict.reasoning).toContain(`Deny: risk level is critical (score ${SCORE_OF.critical}).`);
  });

  it('names every failed condition, not only the first', () => {
    const verdict = evaluate('semi_auto', 'high', { ...CONSTRAINTS.budget_spent, siemStatus: 'unavailable' });
    expect(verdict.autoApproveBarriers.map((b) => b.code)).toEqual(['risk_level', 'siem_unavailable', 'budget_spent']);
    expect(verdict.reasoning).toEqual(
      expect.arrayContaining([
        'Not eligible for auto-approval: risk level high is above the auto-approve maximum low.',
        'Not eligible for auto-approval: the SIEM was unavailable, so the decision is degraded.',
        'Not eligible for auto-approval: hourly auto-resurrection budget spent (10 of 10).',
      ]),
    );
  });

  it('in full-auto denies high risk on its own only when risk is the sole bar', () => {
    expect(evaluate('full_auto', 'high', clean).reasoning.at(-1)).toBe(
      'Full-auto mode: high risk is the only bar to auto-approval, so the resurrection is denied autonomously.',
    );
    expect(evaluate('full_auto', 'high', CONSTRAINTS.budget_spent).outcome).toBe('pending_review');
    expect(evaluate('full_auto', 'medium', clean).outcome).toBe('pending_review');
  });

  it('in full-auto still denies high risk when the other bars only say the kill was right (a surer Smith, a critical severity)', () => {
    const surer = { ...clean, report: aReport({ confidenceScore: 0.75, severity: 'critical' }) };
    const verdict = evaluate('full_auto', 'high', surer);
    expect(verdict.outcome).toBe('deny');
    expect(verdict.reasoning.at(-1)).toBe(
      'Full-auto mode: high risk, and nothing but signs of a real threat bar auto-approval (risk_level, critical_severity, smith_confident), so the resurrection is denied autonomously.',
    );
    expect(evaluate('full_auto', 'high', { ...surer, used: 10 }).outcome).toBe('pending_review');
  });

  it('never calls a denied kill eligible, and says in manual mode that no human is asked about it', () => {
    for (const mode of MODES) {
      const verdict = evaluate(mode, 'low', CONSTRAINTS.blacklisted);
      expect(verdict.autoApproveEligible).toBe(false);
      expect(verdict.reasoning).toContain('Not eligible for auto-approval: the kill is denied outright (above).');
      expect(verdict.reasoning.join('\n')).not.toContain('Eligible for auto-approval: every condition is met');
    }
    expect(evaluate('manual', 'low', CONSTRAINTS.blacklisted).reasoning.at(-1)).toBe(
      'Manual mode: a human decides every resurrection the policy does not deny outright; this one is denied, so no human is asked.',
    );
    expect(evaluate('manual', 'low', clean).reasoning.at(-1)).toBe('Manual mode: a human decides every resurrection; outcome pending_review.');
  });

  it('respects a higher auto-approve maximum', () => {
    const settings = { ...POLICY_SETTINGS, autoApprove: { ...POLICY_SETTINGS.autoApprove, maxRiskLevel: 'medium' as const } };
    expect(evaluate('semi_auto', 'medium', { ...clean, settings }).outcome).toBe('approve_auto');
    expect(evaluate('semi_auto', 'high', { ...clean, settings }).outcome).toBe('pending_review');
  });
});

describe('evaluatePolicy: a burst of kills', () => {
  const withRecent = (recentKills: number, maxKills = 30) =>
    evaluate('semi_auto', 'low', { ...clean, recentKills, settings: { ...POLICY_SETTINGS, constraints: { ...POLICY_SETTINGS.constraints, killBurst: { maxKills, windowSeconds: 60 } } } });

  it('trips only above the limit: the limit itself is still a normal rate', () => {
    expect(withRecent(30).outcome).toBe('approve_auto');
    expect(withRecent(31)).toMatchObject({ outcome: 'pending_review', autoApproveEligible: false });
    expect(withRecent(31).autoApproveBarriers.map((b) => b.code)).toEqual(['kill_burst']);
  });

  it('has no limit at 0, and counts nothing when the caller counted nothing', () => {
    expect(withRecent(10_000, 0).outcome).toBe('approve_auto');
    expect(evaluate('semi_auto', 'low', clean).outcome).toBe('approve_auto');
  });
});

describe('evaluatePolicy: a full approval queue', () => {
  const withQueue = (mode: Mode, level: RiskLevel, pending: number, c: Case = clean) =>
    evaluatePolicy({ report: c.report, risk: riskOf(level, c.coverage), thresholds: THRESHOLDS, siemStatus: c.siemStatus, autoResurrectionsLastHour: c.used, pendingApprovals: pending }, { ...c.settings, mode });

  it('denies a kill that would wait for a human once max_pending items wait, and says why', () => {
    for (const mode of ['manual', 'semi_auto', 'full_auto'] as const) {
      expect(withQueue(mode, 'medium', 99).outcome).toBe('pending_review');
      const full = withQueue(mode, 'medium', 100);
      expect(full).toMatchObject({ outcome: 'deny', requiresHumanReview: false, autoApproveEligible: false, denials: ['queue_full'], recommendedAction: 'keep module nginx-test down' });
      expect(full.reasoning).toContain('Deny: the approval queue is full (100 items wait for a human, at most 100 may), so no human can be asked.');
      expect(full.reasoning.at(-1)).toMatch(/^(Manual|Semi-auto|Full-auto) mode: a human would decide, but the approval queue is full; outcome deny\.$/);
    }
  });

  it('leaves alone what needs no human: an auto-approval, a denial, and observer mode', () => {
    expect(withQueue('semi_auto', 'low', 500)).toMatchObject({ outcome: 'approve_auto', denials: [] });
    expect(withQueue('manual', 'critical', 500)).toMatchObject({ outcome: 'deny', denials: ['critical_risk'] });
    expect(withQueue('full_auto', 'high', 500)).toMatchObject({ outcome: 'deny', denials: [] });
    expect(withQueue('observer', 'medium', 500)).toMatchObject({ outcome: 'pending_review', observeOnly: true, denials: [] });
  });

  it('follows the configured bound', () => {
    const settings = { ...POLICY_SETTINGS, maxPendingApprovals: 3 };
    expect(withQueue('manual', 'medium', 2, { ...clean, settings }).outcome).toBe('pending_review');
    expect(withQueue('manual', 'medium', 3, { ...clean, settings }).outcome).toBe('deny');
  });
});

describe('evaluatePolicy: decision confidence', () => {
  it.each([
    [0.3, 1, 1], // 0.1 from both neighbours: certain
    [0.41, 1, 0.55], // 0.01 from 0.4: 0.5 + 0.5 × 0.1
    [0.45, 0.75, 0.5625], // 0.05 from 0.4: 0.75 × 0.75
    [0.4, 1, 0.5], // on the threshold
    [0.95, 1, 1], // 0.15 above 0.8
  ])('score %p with coverage %p → confidence %p', (score, coverage, confidence) => {
    const level: RiskLevel = score < 0.4 ? 'low' : score < 0.6 ? 'medium' : 'critical';
    const verdict = evaluatePolicy(
      { report: aReport(), risk: riskOf(level, coverage, score), thresholds: THRESHOLDS, siemStatus: 'used', autoResurrectionsLastHour: 0 },
      POLICY_SETTINGS,
    );
    expect(verdict.confidence).toBe(confidence);
  });
});

describe('evaluatePolicy: the verdict in words', () => {
  it('starts with the risk summary and says whether the SIEM took part', () => {
    const verdict = evaluate('semi_auto', 'low', { ...clean, siemStatus: 'not_configured' });
    expect(verdict.reasoning.slice(0, 3)).toEqual([
      'Risk score 0.3 (low) = likelihood 0.3 × (1 + impact 1) / 2; top contributing factors: smith_confidence 0.18, severity 0.12.',
      'No SIEM context was used: no SIEM is configured.',
      'Decision confidence 1 = coverage 1 × certainty 1 (the score is 0.1 from 0.4, the nearest threshold where the decision would change).',
    ]);
  });

  it('names what held the score down: here a quiet SIEM and a record of false positives', () => {
    // The figures are worked out in risk-assessor.unit.spec.ts (heldDownBy).
    const report = aReport({ confidenceScore: 0.5, severity: 'medium', targetModule: 'billing' });
    const risk = assessRisk({ report, siem: { riskScore: 0.2, falsePositiveHistory: 3 }, siemConfigured: true, history: NO_HISTORY }, RISK_SETTINGS);
    const verdict = evaluatePolicy({ report, risk, thresholds: THRESHOLDS, siemStatus: 'used', autoResurrectionsLastHour: 0 }, POLICY_SETTINGS);
    expect(verdict.reasoning[0]).toMatch(/^Risk score 0\.24 \(low\) = likelihood 0\.32 × \(1 \+ impact 0\.5\) \/ 2; top contributing factors: [^.]+\.\d+(, [a-z_]+ [\d.]+)*\. /);
    expect(verdict.reasoning[0]).toContain(
      ' Held down by: siem_risk_score at 0.2 (without it the score would be 0.285), false_positive_history at 0.2 (without it the score would be 0.2727).',
    );
  });

  it('auto-approves with a restart and the state of the hourly budget', () => {
    expect(evaluate('semi_auto', 'low', clean)).toEqual({
      outcome: 'approve_auto',
      confidence: 1,
      reasoning: [
        'Risk score 0.3 (low) = likelihood 0.3 × (1 + impact 1) / 2; top contributing factors: smith_confidence 0.18, severity 0.12.',
        'SIEM context was used: no usable threat indicators for the module in the window.',
        'Decision confidence 1 = coverage 1 × certainty 1 (the score is 0.1 from 0.4, the nearest threshold where the decision would change).',
        'Eligible for auto-approval: every condition is met.',
        'Semi-auto mode: auto-approve only when eligible; outcome approve_auto.',
      ],
      recommendedAction: 'restart module nginx-test',
      requiresHumanReview: false,
      autoApproveEligible: true,
      constraints: ['auto budget: 3 of 10 used this hour'],
      timeoutMinutes: 60,
      observeOnly: false,
      autoApproveBarriers: [],
      denials: [],
    });
  });

  it('queues for a human with the approval window', () => {
    const verdict = evaluate('semi_auto', 'medium', clean);
    expect(verdict).toMatchObject({
      recommendedAction: 'queue for human review',
      constraints: ['human approval required', 'approval expires after 24 hours'],
    });
  });

  it('keeps a denied module down, and marks a degraded decision', () => {
    expect(evaluate('semi_auto', 'critical', CONSTRAINTS.siem_unavailable)).toMatchObject({
      outcome: 'deny',
      recommendedAction: 'keep module nginx-test down',
      constraints: ['module nginx-test stays down', 'degraded: decided without SIEM context'],
    });
  });

  it('in observer mode records what it would do and does nothing', () => {
    const verdict = evaluate('observer', 'medium', clean);
    expect(verdict).toMatchObject({
      outcome: 'pending_review',
      observeOnly: true,
      requiresHumanReview: false,
      recommendedAction: 'none (observer mode; would queue for human review)',
      constraints: ['observer mode: no action will be taken'],
    });
    expect(verdict.reasoning.at(-1)).toBe('Observer mode: the verdict would be pending_review; no action will be taken.');
  });
});

describe('buildDecision', () => {
  it('stamps the verdict with ids, time, risk, mode and SIEM status', () => {
    const verdict = evaluate('semi_auto', 'low', clean);
    const risk = riskOf('low');
    const decision = buildDecision(verdict, { decisionId: 'dec-1', killId: 'demo-1', at: '2026-02-11T12:00:05.000Z', risk, mode: 'semi_auto', siemStatus: 'used' });
    expect(decision).toEqual({
      decisionId: 'dec-1',
      killId: 'demo-1',
      timestamp: '2026-02-11T12:00:05.000Z',
      outcome: 'approve_auto',
      riskLevel: 'low',
      riskScore: 0.3,
      confidence: 1,
      reasoning: verdict.reasoning,
      recommendedAction: 'restart module nginx-test',
      requiresHumanReview: false,
      autoApproveEligible: true,
      constraints: ['auto budget: 3 of 10 used this hour'],
      timeoutMinutes: 60,
      mode: 'semi_auto',
      observeOnly: false,
      siemStatus: 'used',
      grounds: { autoApproveBarriers: [], denials: [] },
    });
  });

  it('keeps the codes of every barrier and denial in its grounds', () => {
    const denied = evaluate('semi_auto', 'critical', clean);
    const decision = buildDecision(denied, { decisionId: 'dec-2', killId: 'demo-2', at: '2026-02-11T12:00:05.000Z', risk: riskOf('critical'), mode: 'semi_auto', siemStatus: 'used' });
    expect(decision.grounds).toEqual({ autoApproveBarriers: denied.autoApproveBarriers.map((b) => b.code), denials: ['critical_risk'] });
    expect(decision.grounds?.autoApproveBarriers).toContain('risk_level');
  });
});
