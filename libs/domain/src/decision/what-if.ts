import type { DecisionThresholds } from '../control/decision-thresholds';
import { compareRiskLevels, riskLevelFor } from '../risk/risk-level';
import type { RiskLevel } from '../risk/risk.types';
import { round4 } from '../shared/numbers';
import type { OutcomeResult } from '../workflow/kill-events';
import { decisionBoundaries, decisionConfidence } from './decision-confidence';
import { DECISION_OUTCOMES, type DecisionOutcome, type ResurrectionDecision } from './decision.types';
import { outcomeForMode } from './mode-outcome';

/** What the log says of one decided kill: its decision, the coverage of its risk, and the outcome of its resurrection if one was recorded. */
export interface DecidedKillFacts {
  readonly killId: string;
  readonly module: string;
  readonly decision: Pick<ResurrectionDecision, 'outcome' | 'riskLevel' | 'riskScore' | 'confidence' | 'mode' | 'grounds'>;
  /** RiskAssessed.assessment.coverage */
  readonly coverage: number;
  /** The last OutcomeRecorded of the kill; null without one. */
  readonly result: OutcomeResult | null;
}

interface Verdict {
  readonly outcome: DecisionOutcome;
  readonly riskLevel: RiskLevel;
  readonly confidence: number;
}

export interface ReDecision {
  readonly killId: string;
  readonly module: string;
  readonly score: number;
  readonly recorded: Verdict;
  readonly whatIf: Verdict;
  readonly result: OutcomeResult | null;
}

/** The barriers thresholds decide; every other one (the budget, the SIEM, a module that always needs a human…) stands as recorded. */
const THRESHOLD_BARRIERS = new Set(['risk_level', 'low_confidence']);

/**
 * The kill decided again under other thresholds, from what was recorded: its
 * score is classified anew, its confidence measured against the new
 * boundaries, the two barriers and the denial that depend on them
 * recomputed, and the mode applied as it was (with the approval queue as
 * full as it was). Null for a decision recorded
 * before its grounds were kept: it cannot be re-decided faithfully.
 */
export function reDecide(kill: DecidedKillFacts, t: DecisionThresholds): ReDecision | null {
  const d = kill.decision;
  if (d.grounds === null) return null;
  const level = riskLevelFor(d.riskScore, t.thresholds);
  const confidence = decisionConfidence({ score: d.riskScore, coverage: kill.coverage }, decisionBoundaries(t.thresholds, t.maxRiskLevel)).value;
  const barriers = d.grounds.autoApproveBarriers.filter((code) => !THRESHOLD_BARRIERS.has(code)).map((code) => ({ code, reason: code }));
  // risk_level first, as the policy lists it (full_auto denies high risk when only threat signs bar it).
  if (compareRiskLevels(level, t.maxRiskLevel) > 0) barriers.unshift({ code: 'risk_level', reason: 'risk_level' });
  if (confidence < t.minConfidence) barriers.push({ code: 'low_confidence', reason: 'low_confidence' });
  const denied = d.grounds.denials.includes('blacklisted') || level === 'critical';
  // A kill denied because the approval queue was full is denied again if it would still go to a human.
  const queueFull = d.grounds.denials.includes('queue_full');
  const outcome = outcomeForMode(d.mode, { denied, barriers: barriers as Parameters<typeof outcomeForMode>[1]['barriers'], level, queueFull }).outcome;
  return {
    killId: kill.killId,
    module: kill.module,
    score: d.riskScore,
    recorded: { outcome: d.outcome, riskLevel: d.riskLevel, confidence: d.confidence },
    whatIf: { outcome, riskLevel: level, confidence },
    result: kill.result,
  };
}

/** How the auto-approvals of one side turned out, among the kills whose resurrection has an outcome. */
export interface AutoApprovalRecord {
  readonly auto_approved: number;
  /** Of them, those whose resurrection has a telling outcome. */
  readonly with_outcome: number;
  /** success or partial: the kill was a false positive. */
  readonly stayed_up: number;
  /** re_killed or rollback: the kill was right. */
  readonly went_wrong: number;
  readonly success_rate: number | null;
}

export interface WhatIfSummary {
  readonly thresholds: DecisionThresholds;
  readonly decided: number;
  /** Decisions recorded before their grounds were kept. */
  readonly not_re_decided: number;
  readonly by_outcome: { readonly recorded: Record<DecisionOutcome, number>; readonly what_if: Record<DecisionOutcome, number> };
  readonly auto_approvals: { readonly recorded: AutoApprovalRecord; readonly what_if: AutoApprovalRecord };
  /** Kills the what-if would auto-approve that were not, whose outcome is therefore unknown. */
  readonly newly_auto_approved_without_outcome: number;
  readonly changed: readonly ReDecision[];
}

const TELLING: Readonly<Record<OutcomeResult, 'up' | 'wrong' | null>> = { success: 'up', partial: 'up', re_killed: 'wrong', rollback: 'wrong', failure: null };

function record(kills: readonly ReDecision[], side: 'recorded' | 'whatIf'): AutoApprovalRecord {
  const approved = kills.filter((k) => k[side].outcome === 'approve_auto');
  const judged = approved.flatMap((k) => (k.result === null || TELLING[k.result] === null ? [] : [TELLING[k.result]]));
  const up = judged.filter((j) => j === 'up').length;
  return { auto_approved: approved.length, with_outcome: judged.length, stayed_up: up, went_wrong: judged.length - up, success_rate: judged.length === 0 ? null : round4(up / judged.length) };
}

/** Every decided kill re-decided under `t`, against what was decided and how it turned out. */
export function whatIf(kills: readonly DecidedKillFacts[], t: DecisionThresholds): WhatIfSummary {
  const redone = kills.flatMap((k) => {
    const r = reDecide(k, t);
    return r === null ? [] : [r];
  });
  const count = (side: 'recorded' | 'whatIf') => {
    const out = Object.fromEntries(DECISION_OUTCOMES.map((o) => [o, 0])) as Record<DecisionOutcome, number>;
    for (const k of redone) out[k[side].outcome] += 1;
    return out;
  };
  return {
    thresholds: t,
    decided: kills.length,
    not_re_decided: kills.length - redone.length,
    by_outcome: { recorded: count('recorded'), what_if: count('whatIf') },
    auto_approvals: { recorded: record(redone, 'recorded'), what_if: record(redone, 'whatIf') },
    newly_auto_approved_without_outcome: redone.filter((k) => k.whatIf.outcome === 'approve_auto' && k.recorded.outcome !== 'approve_auto' && k.result === null).length,
    changed: redone.filter((k) => k.whatIf.outcome !== k.recorded.outcome),
  };
}
