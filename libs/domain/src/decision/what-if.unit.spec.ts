import { buildDecision, evaluatePolicy, MODES, type KillEvent, type Mode, type OutcomeResult, type PolicySettings, type RiskAssessment, type RiskLevel, type Severity } from '@medic/domain';
import { aReport, POLICY_SETTINGS, THRESHOLDS } from '../../test/domain-fixtures';
import type { DecisionThresholds } from '../control/decision-thresholds';
import { riskLevelFor } from '../risk/risk-level';
import { decidedKillFacts, foldWhatIfFacts, reDecide, whatIf, type DecidedKillFacts, type WhatIfFactsDraft, type WhatIfSettings } from './what-if';

/* Re-deciding recorded kills under other thresholds, and what the outcomes say of it. */

const AS_CONFIGURED: DecisionThresholds = { thresholds: THRESHOLDS, maxRiskLevel: POLICY_SETTINGS.autoApprove.maxRiskLevel, minConfidence: POLICY_SETTINGS.autoApprove.minConfidence };

/** As the configuration has it: critical kills and modules go to a human. */
const REVIEW_CRITICAL: WhatIfSettings = { requireHumanReviewForCritical: true };

function riskAt(score: number, coverage = 1, criticality = 0.5): RiskAssessment {
  const factor = { name: 'module_criticality', raw: criticality, normalized: criticality, weight: 0, contribution: 0, observed: true, outOfModel: false, explanation: '' } as const;
  return { score, level: riskLevelFor(score, THRESHOLDS), coverage, likelihood: score, impact: 1, factors: [factor] };
}

interface KillOptions {
  mode?: Mode;
  coverage?: number;
  used?: number;
  pending?: number;
  module?: string;
  result?: OutcomeResult | null;
  criticality?: number;
  severity?: Severity;
  /** constraints.require_human_review_for_critical when the kill was decided (true unless given). */
  reviewCritical?: boolean;
}

/** A kill decided by the real policy: its report, risk and decision as the log records them. */
function decide(killId: string, score: number, opts: KillOptions = {}) {
  const settings: PolicySettings = {
    ...POLICY_SETTINGS,
    mode: opts.mode ?? 'semi_auto',
    constraints: { ...POLICY_SETTINGS.constraints, requireHumanReviewForCritical: opts.reviewCritical ?? true },
  };
  const risk = riskAt(score, opts.coverage, opts.criticality);
  const report = aReport({ targetModule: opts.module ?? 'nginx-test', severity: opts.severity ?? 'low' });
  const verdict = evaluatePolicy({ report, risk, thresholds: THRESHOLDS, siemStatus: 'used', autoResurrectionsLastHour: opts.used ?? 0, pendingApprovals: opts.pending ?? 0 }, settings);
  const decision = buildDecision(verdict, { decisionId: `d-${killId}`, killId, at: '2026-12-01T10:00:00.000Z', risk, mode: settings.mode, siemStatus: 'used' });
  return { report, risk, decision };
}

/** What a what-if reads of a kill decided by the real policy. */
function decided(killId: string, score: number, opts: KillOptions = {}): DecidedKillFacts {
  const { report, risk, decision } = decide(killId, score, opts);
  return { killId, module: report.targetModule, decision, coverage: risk.coverage, result: opts.result ?? null, moduleCriticality: opts.criticality ?? 0.5, severity: report.severity };
}

describe('re-deciding a recorded kill', () => {
  it('comes to the recorded verdict under the thresholds it was decided by, for every mode and score', () => {
    for (const mode of MODES) {
      for (let score = 0.01; score < 1; score += 0.02) {
        for (const [coverage, pending, criticality, severity] of [[1, 0, 0.5, 'low'], [0.7, 0, 0.5, 'low'], [1, 100, 0.5, 'low'], [1, 0, 0.8, 'low'], [1, 0, 0.9, 'critical']] as const) {
          const kill = decided('k', Math.round(score * 100) / 100, { mode, coverage, pending, criticality, severity });
          const again = reDecide(kill, AS_CONFIGURED, REVIEW_CRITICAL)!;
          const seen = { mode, score: kill.decision.riskScore, coverage, pending, criticality, severity };
          expect({ ...seen, ...again.whatIf }).toEqual({ ...seen, ...again.recorded });
        }
      }
    }
  });

  it('keeps the barriers thresholds do not decide: a spent budget still holds a kill back, a blacklisted module is still denied', () => {
    const budget = decided('b', 0.3, { used: 10 });
    expect(budget.decision.outcome).toBe('pending_review');
    expect(reDecide(budget, { ...AS_CONFIGURED, maxRiskLevel: 'high', minConfidence: 0 }, REVIEW_CRITICAL)!.whatIf.outcome).toBe('pending_review');
    const banned = decided('x', 0.1, { module: 'evil-module' });
    expect(reDecide(banned, { ...AS_CONFIGURED, maxRiskLevel: 'high' }, REVIEW_CRITICAL)!.whatIf.outcome).toBe('deny');
  });

  it('denies again a kill the full approval queue turned away while it would still go to a human', () => {
    const turnedAway = decided('q', 0.5, { mode: 'semi_auto', pending: 100 });
    expect(turnedAway.decision).toMatchObject({ outcome: 'deny', grounds: { denials: ['queue_full'] } });
    expect(reDecide(turnedAway, { ...AS_CONFIGURED, minConfidence: 0 }, REVIEW_CRITICAL)!.whatIf.outcome).toBe('deny');
    expect(reDecide(turnedAway, { ...AS_CONFIGURED, maxRiskLevel: 'medium' }, REVIEW_CRITICAL)!.whatIf.outcome).toBe('approve_auto');
  });

  it('moves a kill across levels with the thresholds, and denies what becomes critical', () => {
    const kill = decided('m', 0.5);
    expect(kill.decision).toMatchObject({ outcome: 'pending_review', riskLevel: 'medium' });
    expect(reDecide(kill, { ...AS_CONFIGURED, maxRiskLevel: 'medium' }, REVIEW_CRITICAL)!.whatIf).toEqual({ outcome: 'approve_auto', riskLevel: 'medium', confidence: 1 });
    expect(reDecide(kill, { ...AS_CONFIGURED, thresholds: { minimal: 0.1, low: 0.2, medium: 0.3, high: 0.4 } }, REVIEW_CRITICAL)!.whatIf).toMatchObject({ outcome: 'deny', riskLevel: 'critical' });
  });

  describe('a critical module (criticality at or above thresholds.high)', () => {
    const high = (h: number) => ({ ...AS_CONFIGURED, thresholds: { ...THRESHOLDS, high: h } });

    it('goes to a human once a lower high bound makes its module critical', () => {
      const ledger = decided('l', 0.25, { criticality: 0.7 });
      expect(ledger.decision).toMatchObject({ outcome: 'approve_auto', grounds: { autoApproveBarriers: [] } });
      expect(reDecide(ledger, high(0.65), REVIEW_CRITICAL)!.whatIf).toEqual({ outcome: 'pending_review', riskLevel: 'low', confidence: 1 });
      // Observer mode records the same verdict, acting on nothing.
      expect(reDecide(decided('o', 0.25, { criticality: 0.7, mode: 'observer' }), high(0.65), REVIEW_CRITICAL)!.whatIf.outcome).toBe('pending_review');
    });

    it('no longer holds a kill for a human once a higher high bound leaves its module below it', () => {
      const vault = decided('v', 0.25, { criticality: 0.9 });
      expect(vault.decision).toMatchObject({ outcome: 'pending_review', grounds: { autoApproveBarriers: ['critical_module'] } });
      expect(reDecide(vault, high(0.95), REVIEW_CRITICAL)!.whatIf).toEqual({ outcome: 'approve_auto', riskLevel: 'low', confidence: 1 });
      // Another barrier on it still holds.
      expect(reDecide(decided('v2', 0.25, { criticality: 0.9, used: 10 }), high(0.95), REVIEW_CRITICAL)!.whatIf.outcome).toBe('pending_review');
    });

    it("follows what the kill's own grounds say of require_human_review_for_critical, else the configuration", () => {
      // Decided with the review off: a critical severity passed without a barrier, so no module is held for its criticality either.
      const off = decided('c', 0.25, { criticality: 0.7, severity: 'critical', reviewCritical: false });
      expect(off.decision.outcome).toBe('approve_auto');
      expect(reDecide(off, high(0.65), REVIEW_CRITICAL)!.whatIf.outcome).toBe('approve_auto');
      // Nothing on the kill tells: the configuration the what-if runs with does.
      const silent = decided('s', 0.25, { criticality: 0.7 });
      expect(reDecide(silent, high(0.65), { requireHumanReviewForCritical: false })!.whatIf.outcome).toBe('approve_auto');
      // Without its criticality on the log the barrier stands as recorded.
      const vault = decided('v', 0.25, { criticality: 0.9 });
      expect(reDecide({ ...vault, moduleCriticality: null }, high(0.95), REVIEW_CRITICAL)!.whatIf.outcome).toBe('pending_review');
    });
  });

  it('cannot re-decide a decision recorded before its grounds were kept', () => {
    const old = decided('o', 0.3);
    expect(reDecide({ ...old, decision: { ...old.decision, grounds: null } }, AS_CONFIGURED, REVIEW_CRITICAL)).toBeNull();
  });
});

describe('a what-if over the recorded kills', () => {
  const kills = [
    decided('a1', 0.1, { result: 'success' }),
    decided('a2', 0.3, { result: 're_killed' }),
    decided('p1', 0.5, { result: 'success' }), // medium: a human approved it, and it stayed up
    decided('p2', 0.5, { result: 'rollback' }),
    decided('p3', 0.45, { result: null }),
    decided('d1', 0.9, { result: null }),
  ];
  const level = (k: DecidedKillFacts): RiskLevel => k.decision.riskLevel;

  it('under the recorded thresholds changes nothing', () => {
    const same = whatIf(kills, AS_CONFIGURED, REVIEW_CRITICAL);
    expect(same.changed).toEqual([]);
    expect(same.by_outcome.what_if).toEqual(same.by_outcome.recorded);
    expect(same.auto_approvals.recorded).toEqual({ auto_approved: 2, with_outcome: 2, stayed_up: 1, went_wrong: 1, success_rate: 0.5 });
  });

  it('counts what would have been decided otherwise, and how those resurrections turned out', () => {
    expect(kills.map(level)).toEqual(['minimal', 'low', 'medium', 'medium', 'medium', 'critical']);
    const wider = whatIf(kills, { ...AS_CONFIGURED, maxRiskLevel: 'medium' }, REVIEW_CRITICAL);
    expect(wider.decided).toBe(6);
    expect(wider.not_re_decided).toBe(0);
    expect(wider.by_outcome.recorded).toMatchObject({ approve_auto: 2, pending_review: 3, deny: 1 });
    expect(wider.by_outcome.what_if).toMatchObject({ approve_auto: 5, pending_review: 0, deny: 1 });
    expect(wider.auto_approvals.what_if).toEqual({ auto_approved: 5, with_outcome: 4, stayed_up: 2, went_wrong: 2, success_rate: 0.5 });
    expect(wider.newly_auto_approved_without_outcome).toBe(1);
    expect(wider.changed.map((c) => [c.killId, c.recorded.outcome, c.whatIf.outcome, c.result])).toEqual([
      ['p1', 'pending_review', 'approve_auto', 'success'],
      ['p2', 'pending_review', 'approve_auto', 'rollback'],
      ['p3', 'pending_review', 'approve_auto', null],
    ]);
  });

  it('leaves kills decided in observer mode out of the auto-approval figures: nothing was brought back for them', () => {
    const observed = [decided('o1', 0.1, { mode: 'observer' }), decided('o2', 0.45, { mode: 'observer' })];
    const wider = whatIf([...kills, ...observed], { ...AS_CONFIGURED, maxRiskLevel: 'medium' }, REVIEW_CRITICAL);
    expect(wider.observed).toBe(2);
    expect(wider.by_outcome.what_if).toMatchObject({ approve_auto: 7 });
    expect(wider.auto_approvals.recorded).toEqual({ auto_approved: 2, with_outcome: 2, stayed_up: 1, went_wrong: 1, success_rate: 0.5 });
    expect(wider.auto_approvals.what_if).toEqual({ auto_approved: 5, with_outcome: 4, stayed_up: 2, went_wrong: 2, success_rate: 0.5 });
    expect(wider.newly_auto_approved_without_outcome).toBe(1);
    expect(wider.changed.find((c) => c.killId === 'o2')).toMatchObject({ observed: true, whatIf: { outcome: 'approve_auto' } });
  });
});

describe('the facts of a kill, folded from its events', () => {
  const at = '2026-12-01T10:00:00.000Z';
  const { report, risk, decision } = decide('f1', 0.25, { criticality: 0.7, severity: 'high', coverage: 0.9, module: 'ledger' });
  const source = { topic: 'smith.events.kill_notifications', partition: 0, offset: '7' };
  const reported: KillEvent = { type: 'KillReported', killId: 'f1', at, report, correlationId: 'c', replyTo: null, source, signedBy: null, ignoredFields: [] };
  const assessed: KillEvent = { type: 'RiskAssessed', killId: 'f1', at, assessment: risk };
  const made: KillEvent = { type: 'DecisionMade', killId: 'f1', at, decision, targetModule: 'ledger', targetInstanceId: 'inst-001' };

  it('keeps the module, its severity and criticality, the coverage, the decision and the outcome', () => {
    const draft = [reported, assessed, made].reduce<WhatIfFactsDraft>(foldWhatIfFacts, {});
    expect(decidedKillFacts('f1', { ...draft, result: 'success' })).toEqual({ killId: 'f1', module: 'ledger', severity: 'high', coverage: 0.9, moduleCriticality: 0.7, decision, result: 'success' });
  });

  it('is no decided kill without a decision, and cannot be re-decided without its risk assessment', () => {
    expect(decidedKillFacts('f1', foldWhatIfFacts({}, reported))).toBeNull();
    const noRisk = decidedKillFacts('f1', [reported, made].reduce<WhatIfFactsDraft>(foldWhatIfFacts, {}))!;
    expect(noRisk).toMatchObject({ moduleCriticality: null, coverage: 1, decision: { grounds: null } });
    expect(reDecide(noRisk, AS_CONFIGURED, REVIEW_CRITICAL)).toBeNull();
  });
});
