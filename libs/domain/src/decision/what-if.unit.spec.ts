import { buildDecision, evaluatePolicy, MODES, type Mode, type OutcomeResult, type PolicySettings, type RiskAssessment, type RiskLevel } from '@medic/domain';
import { aReport, POLICY_SETTINGS, THRESHOLDS } from '../../test/domain-fixtures';
import type { DecisionThresholds } from '../control/decision-thresholds';
import { riskLevelFor } from '../risk/risk-level';
import { reDecide, whatIf, type DecidedKillFacts } from './what-if';

/* Re-deciding recorded kills under other thresholds, and what the outcomes say of it. */

const AS_CONFIGURED: DecisionThresholds = { thresholds: THRESHOLDS, maxRiskLevel: POLICY_SETTINGS.autoApprove.maxRiskLevel, minConfidence: POLICY_SETTINGS.autoApprove.minConfidence };

function riskAt(score: number, coverage = 1): RiskAssessment {
  return { score, level: riskLevelFor(score, THRESHOLDS), coverage, likelihood: score, impact: 1, factors: [] };
}

/** A kill decided by the real policy, as the log records it. */
function decided(killId: string, score: number, opts: { mode?: Mode; coverage?: number; used?: number; pending?: number; module?: string; result?: OutcomeResult | null } = {}): DecidedKillFacts {
  const settings: PolicySettings = { ...POLICY_SETTINGS, mode: opts.mode ?? 'semi_auto' };
  const risk = riskAt(score, opts.coverage);
  const report = aReport({ targetModule: opts.module ?? 'nginx-test' });
  const verdict = evaluatePolicy({ report, risk, thresholds: THRESHOLDS, siemStatus: 'used', autoResurrectionsLastHour: opts.used ?? 0, pendingApprovals: opts.pending ?? 0 }, settings);
  const decision = buildDecision(verdict, { decisionId: `d-${killId}`, killId, at: '2026-12-01T10:00:00.000Z', risk, mode: settings.mode, siemStatus: 'used' });
  return { killId, module: report.targetModule, decision, coverage: risk.coverage, result: opts.result ?? null };
}

describe('re-deciding a recorded kill', () => {
  it('comes to the recorded verdict under the thresholds it was decided by, for every mode and score', () => {
    for (const mode of MODES) {
      for (let score = 0.01; score < 1; score += 0.02) {
        for (const [coverage, pending] of [[1, 0], [0.7, 0], [1, 100]] as const) {
          const kill = decided('k', Math.round(score * 100) / 100, { mode, coverage, pending });
          const again = reDecide(kill, AS_CONFIGURED)!;
          expect({ mode, score: kill.decision.riskScore, coverage, pending, ...again.whatIf }).toEqual({ mode, score: kill.decision.riskScore, coverage, pending, ...again.recorded });
        }
      }
    }
  });

  it('keeps the barriers thresholds do not decide: a spent budget still holds a kill back, a blacklisted module is still denied', () => {
    const budget = decided('b', 0.3, { used: 10 });
    expect(budget.decision.outcome).toBe('pending_review');
    expect(reDecide(budget, { ...AS_CONFIGURED, maxRiskLevel: 'high', minConfidence: 0 })!.whatIf.outcome).toBe('pending_review');
    const banned = decided('x', 0.1, { module: 'evil-module' });
    expect(reDecide(banned, { ...AS_CONFIGURED, maxRiskLevel: 'high' })!.whatIf.outcome).toBe('deny');
  });

  it('denies again a kill the full approval queue turned away while it would still go to a human', () => {
    const turnedAway = decided('q', 0.5, { mode: 'semi_auto', pending: 100 });
    expect(turnedAway.decision).toMatchObject({ outcome: 'deny', grounds: { denials: ['queue_full'] } });
    expect(reDecide(turnedAway, { ...AS_CONFIGURED, minConfidence: 0 })!.whatIf.outcome).toBe('deny');
    expect(reDecide(turnedAway, { ...AS_CONFIGURED, maxRiskLevel: 'medium' })!.whatIf.outcome).toBe('approve_auto');
  });

  it('moves a kill across levels with the thresholds, and denies what becomes critical', () => {
    const kill = decided('m', 0.5);
    expect(kill.decision).toMatchObject({ outcome: 'pending_review', riskLevel: 'medium' });
    expect(reDecide(kill, { ...AS_CONFIGURED, maxRiskLevel: 'medium' })!.whatIf).toEqual({ outcome: 'approve_auto', riskLevel: 'medium', confidence: 1 });
    expect(reDecide(kill, { ...AS_CONFIGURED, thresholds: { minimal: 0.1, low: 0.2, medium: 0.3, high: 0.4 } })!.whatIf).toMatchObject({ outcome: 'deny', riskLevel: 'critical' });
  });

  it('cannot re-decide a decision recorded before its grounds were kept', () => {
    const old = decided('o', 0.3);
    expect(reDecide({ ...old, decision: { ...old.decision, grounds: null } }, AS_CONFIGURED)).toBeNull();
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
    const same = whatIf(kills, AS_CONFIGURED);
    expect(same.changed).toEqual([]);
    expect(same.by_outcome.what_if).toEqual(same.by_outcome.recorded);
    expect(same.auto_approvals.recorded).toEqual({ auto_approved: 2, with_outcome: 2, stayed_up: 1, went_wrong: 1, success_rate: 0.5 });
  });

  it('counts what would have been decided otherwise, and how those resurrections turned out', () => {
    expect(kills.map(level)).toEqual(['minimal', 'low', 'medium', 'medium', 'medium', 'critical']);
    const wider = whatIf(kills, { ...AS_CONFIGURED, maxRiskLevel: 'medium' });
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
});
