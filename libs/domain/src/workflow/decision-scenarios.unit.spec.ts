import { decide, evolve, type DecisionMade, type DecisionOutcome, type KillEvent, type KillReport, type ModuleHistory, type SiemRiskContext, type SiemStatus } from '@medic/domain';
import { aReport, decideCommand, NO_HISTORY, POLICY_SETTINGS } from '../../test/domain-fixtures';
import { SAMPLE_EVENTS } from '../../test/kill-event-samples';

/*
 * Kills as an operator would label them, decided in semi_auto with
 * auto-approval on (max risk low, min confidence 0.85) and no SIEM
 * configured, as the reboot plan's first phase runs: clear false positives
 * come back on their own; clear threats never do.
 */

interface Scenario {
  readonly name: string;
  readonly report: Partial<KillReport>;
  readonly history?: Partial<ModuleHistory>;
  readonly siemStatus?: SiemStatus;
  readonly siem?: SiemRiskContext;
  readonly autoUsedThisHour?: number;
  readonly pendingApprovals?: number;
  readonly outcome: DecisionOutcome;
}

const FALSE_POSITIVES: Scenario[] = [
  { name: "the reboot plan's demo kill (anomaly, low, Smith 0.4)", report: {}, outcome: 'approve_auto' },
  { name: 'an unsure info-severity kill of an unlisted module', report: { confidenceScore: 0.2, severity: 'info', targetModule: 'report-cache' }, outcome: 'approve_auto' },
  {
    name: 'a module whose last three resurrections all stayed stable',
    report: { confidenceScore: 0.3, severity: 'low', targetModule: 'report-cache' },
    history: { priorKills: 3, priorResurrections: 3, falsePositives: 3 },
    outcome: 'approve_auto',
  },
  {
    name: 'a module killed twice before, with no outcome known yet',
    report: { confidenceScore: 0.35, severity: 'low' },
    history: { priorKills: 2, priorResurrections: 2 },
    outcome: 'approve_auto',
  },
];

const THREATS: Scenario[] = [
  { name: 'a near-certain critical threat', report: { confidenceScore: 0.99, severity: 'critical', killReason: 'threat_detected', targetModule: 'billing' }, outcome: 'deny' },
  { name: 'a blacklisted module, however unsure Smith is', report: { confidenceScore: 0.1, severity: 'info', targetModule: 'evil-module' }, outcome: 'deny' },
  { name: 'a confident high-severity kill of auth-service', report: { confidenceScore: 0.9, severity: 'high', targetModule: 'auth-service' }, outcome: 'deny' },
  {
    name: 'a module re-killed twice and rolled back once',
    report: { confidenceScore: 0.6, severity: 'high', targetModule: 'billing' },
    history: { priorKills: 3, priorResurrections: 3, reKills: 2, rollbacks: 1 },
    outcome: 'pending_review',
  },
  { name: 'a critical-severity kill Smith is unsure of', report: { confidenceScore: 0.2, severity: 'critical' }, outcome: 'pending_review' },
  { name: 'a kill Smith is sure of (at its confidence threshold)', report: { confidenceScore: 0.7, severity: 'low' }, outcome: 'pending_review' },
  { name: 'a harmless-looking kill of a critical module (core-db, criticality 1)', report: { confidenceScore: 0.2, severity: 'info', targetModule: 'core-db' }, outcome: 'pending_review' },
  { name: 'a harmless-looking kill while the SIEM is down', report: { confidenceScore: 0.2, severity: 'info' }, siemStatus: 'unavailable', outcome: 'pending_review' },
  { name: 'a harmless-looking kill someone ordered by hand (manual_override)', report: { confidenceScore: 0.2, severity: 'info', killReason: 'manual_override' }, outcome: 'pending_review' },
  { name: 'a harmless-looking kill once the hourly budget is spent', report: { confidenceScore: 0.2, severity: 'info' }, autoUsedThisHour: 10, outcome: 'pending_review' },
  { name: 'a kill Smith is sure of while the approval queue is full', report: { confidenceScore: 0.7, severity: 'low' }, pendingApprovals: 100, outcome: 'deny' },
];

function decideScenario(s: Scenario): DecisionMade['decision'] {
  const reported: KillEvent = { ...SAMPLE_EVENTS.KillReported, report: aReport(s.report) };
  const events = decide(
    decideCommand({
      queueItemId: 'q-1',
      siem: s.siem ?? null,
      siemStatus: s.siemStatus ?? (s.siem ? 'used' : 'not_configured'),
      history: { ...NO_HISTORY, ...s.history },
      autoResurrectionsLastHour: s.autoUsedThisHour ?? 0,
      pendingApprovals: s.pendingApprovals ?? 0,
    }),
    evolve(null, reported),
  );
  const made = events.find((e): e is DecisionMade => e.type === 'DecisionMade');
  if (!made) throw new Error('no decision');
  return made.decision;
}

describe('labelled kills in semi_auto without a SIEM', () => {
  it.each(FALSE_POSITIVES)('false positive: $name → $outcome', (s) => {
    const decision = decideScenario(s);
    expect(decision.outcome).toBe(s.outcome);
    expect(decision.autoApproveEligible).toBe(true);
  });

  it.each(THREATS)('threat: $name → $outcome, never auto-approved', (s) => {
    const decision = decideScenario(s);
    expect(decision.outcome).toBe(s.outcome);
    expect(decision.autoApproveEligible).toBe(false);
  });

  it('lowers the risk of a module as its resurrections stay stable, and raises it as they are re-killed', () => {
    const scoreWith = (history: Partial<ModuleHistory>) => decideScenario({ name: '', report: { confidenceScore: 0.5, severity: 'medium' }, history, outcome: 'pending_review' }).riskScore;
    const neutral = scoreWith({});
    expect(scoreWith({ falsePositives: 4 })).toBeLessThan(neutral);
    expect(scoreWith({ reKills: 4 })).toBeGreaterThan(neutral);
    expect(scoreWith({ priorKills: 9 })).toBe(neutral);
  });
});

describe('the same kills with a SIEM that knows nothing of the module', () => {
  const silentSiem: SiemRiskContext = { riskScore: 0, falsePositiveHistory: 0, indicators: [] };
  const answered = [...FALSE_POSITIVES, ...THREATS].filter((s) => s.siemStatus === undefined);

  it.each(answered)('$name → $outcome at the score it has without a SIEM', (s) => {
    const withSiem = decideScenario({ ...s, siem: silentSiem });
    expect(withSiem.outcome).toBe(s.outcome);
    expect(withSiem.riskScore).toBe(decideScenario(s).riskScore);
    expect(withSiem.confidence).toBe(decideScenario(s).confidence);
  });

  it('raises the risk when the SIEM does hold indicators for the module', () => {
    const report = { confidenceScore: 0.4, severity: 'medium' as const };
    const alone = decideScenario({ name: '', report, outcome: 'pending_review' }).riskScore;
    const indicated = decideScenario({ name: '', report, siem: { riskScore: 0.9, falsePositiveHistory: 0, indicators: ['ip 203.0.113.7 (0.9, feed)'] }, outcome: 'pending_review' });
    expect(indicated.riskScore).toBeGreaterThan(alone);
  });
});

describe('critical modules (constraints.require_human_review_for_critical)', () => {
  const harmless = { confidenceScore: 0.2, severity: 'info' as const, targetModule: 'core-db' };

  it('asks a human about a module whose criticality reaches the critical band, however harmless the kill', () => {
    const decision = decideScenario({ name: '', report: harmless, outcome: 'pending_review' });
    expect(decision.riskLevel).toBe('minimal');
    expect(decision.outcome).toBe('pending_review');
    expect(decision.reasoning).toContain('Not eligible for auto-approval: module core-db is critical (criticality 1, at or above 0.8) and critical modules require human review.');
  });

  it('lets it come back on its own when the constraint is off', () => {
    const events = decide(
      decideCommand({}, { constraints: { ...POLICY_SETTINGS.constraints, requireHumanReviewForCritical: false } }),
      evolve(null, { ...SAMPLE_EVENTS.KillReported, report: aReport(harmless) }),
    );
    expect(events.find((e): e is DecisionMade => e.type === 'DecisionMade')?.decision.outcome).toBe('approve_auto');
  });
});
