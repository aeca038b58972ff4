import type { DecisionThresholds } from '../control/decision-thresholds';
import type { Severity } from '../kill/kill-report';
import { compareRiskLevels, riskLevelFor } from '../risk/risk-level';
import type { RiskLevel } from '../risk/risk.types';
import { round4 } from '../shared/numbers';
import type { KillEvent, OutcomeResult } from '../workflow/kill-events';
import { isCriticalModule } from './auto-approval';
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
  /** The module's criticality the risk was assessed with (RiskAssessed's module_criticality factor); null when not recorded. */
  readonly moduleCriticality: number | null;
  /** The severity Smith gave the kill (KillReported); null when its report is not on the log. */
  readonly severity: Severity | null;
}

/** What a what-if takes from the configuration it runs with, beside the thresholds. */
export interface WhatIfSettings {
  /**
   * constraints.require_human_review_for_critical, for a kill whose own grounds
   * cannot tell whether it was on when the kill was decided.
   */
  readonly requireHumanReviewForCritical: boolean;
}

/** The kinds of kill events a what-if reads. */
export const WHAT_IF_EVENT_TYPES: ReadonlySet<string> = new Set<KillEvent['type']>(['KillReported', 'RiskAssessed', 'DecisionMade', 'OutcomeRecorded']);

/** What the log has said so far of one kill, folded event by event (see foldWhatIfFacts). */
export interface WhatIfFactsDraft {
  readonly module?: string;
  readonly severity?: Severity;
  readonly coverage?: number;
  readonly moduleCriticality?: number;
  readonly decision?: DecidedKillFacts['decision'];
  readonly result?: OutcomeResult;
}

/** Folds one kill event into what a what-if needs of its kill; events of other kinds change nothing. */
export function foldWhatIfFacts(draft: WhatIfFactsDraft, e: KillEvent): WhatIfFactsDraft {
  if (e.type === 'KillReported') return { ...draft, module: e.report.targetModule, severity: e.report.severity };
  if (e.type === 'RiskAssessed') {
    const criticality = e.assessment.factors.find((f) => f.name === 'module_criticality')?.raw;
    return { ...draft, coverage: e.assessment.coverage, ...(criticality === undefined ? {} : { moduleCriticality: criticality }) };
  }
  if (e.type === 'DecisionMade') return { ...draft, decision: e.decision };
  if (e.type === 'OutcomeRecorded') return { ...draft, result: e.result };
  return draft;
}

/**
 * The facts of a decided kill, or null for a kill not decided. A decision whose
 * risk assessment is not on the log cannot be re-decided faithfully: its grounds are dropped.
 */
export function decidedKillFacts(killId: string, draft: WhatIfFactsDraft): DecidedKillFacts | null {
  const { decision } = draft;
  if (decision === undefined) return null;
  return {
    killId,
    module: draft.module ?? '?',
    coverage: draft.coverage ?? 1,
    result: draft.result ?? null,
    decision: draft.coverage === undefined ? { ...decision, grounds: null } : decision,
    moduleCriticality: draft.moduleCriticality ?? null,
    severity: draft.severity ?? null,
  };
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
  /** Decided in observer mode: the verdict was recorded, nothing acted on it. */
  readonly observed: boolean;
}

/**
 * The barriers thresholds decide: the risk level and the confidence, and a critical module
 * (criticality at or above thresholds.high). Every other one (the budget, the SIEM, a module
 * that always needs a human…) stands as recorded.
 */
const THRESHOLD_BARRIERS = new Set(['risk_level', 'low_confidence', 'critical_module']);

/**
 * Whether critical kills and modules went to a human when the kill was decided: its grounds say so when
 * they hold a critical_severity or critical_module barrier, or when a critical severity was let pass
 * without one; otherwise the configuration the what-if runs with says.
 */
function criticalReviewRequired(kill: DecidedKillFacts, grounds: NonNullable<DecidedKillFacts['decision']['grounds']>, settings: WhatIfSettings): boolean {
  const barriers = grounds.autoApproveBarriers;
  if (barriers.includes('critical_severity') || barriers.includes('critical_module')) return true;
  if (kill.severity === 'critical') return false;
  return settings.requireHumanReviewForCritical;
}

/**
 * The kill decided again under other thresholds, from what was recorded: its
 * score is classified anew, its confidence measured against the new
 * boundaries, the three barriers (risk level, confidence, critical module)
 * and the denial that depend on them recomputed, and the mode applied as it
 * was (with the approval queue as full as it was). Null for a decision
 * recorded before its grounds were kept: it cannot be re-decided faithfully.
 */
export function reDecide(kill: DecidedKillFacts, t: DecisionThresholds, settings: WhatIfSettings): ReDecision | null {
  const d = kill.decision;
  if (d.grounds === null) return null;
  const level = riskLevelFor(d.riskScore, t.thresholds);
  const confidence = decisionConfidence({ score: d.riskScore, coverage: kill.coverage }, decisionBoundaries(t.thresholds, t.maxRiskLevel)).value;
  const barriers = d.grounds.autoApproveBarriers.filter((code) => !THRESHOLD_BARRIERS.has(code)).map((code) => ({ code, reason: code }));
  // risk_level first, as the policy lists it (full_auto denies high risk when only threat signs bar it).
  if (compareRiskLevels(level, t.maxRiskLevel) > 0) barriers.unshift({ code: 'risk_level', reason: 'risk_level' });
  if (confidence < t.minConfidence) barriers.push({ code: 'low_confidence', reason: 'low_confidence' });
  // A module is critical by its criticality against the what-if's high bound; without its criticality on the log, as recorded.
  const criticalModule =
    kill.moduleCriticality === null
      ? d.grounds.autoApproveBarriers.includes('critical_module')
      : isCriticalModule(kill.moduleCriticality, t.thresholds) && criticalReviewRequired(kill, d.grounds, settings);
  if (criticalModule) barriers.push({ code: 'critical_module', reason: 'critical_module' });
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
    observed: d.mode === 'observer',
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
  /** Of the kills decided outside observer mode: an observed verdict brought nothing back, so it has no outcome to tell. */
  readonly auto_approvals: { readonly recorded: AutoApprovalRecord; readonly what_if: AutoApprovalRecord };
  /** Decisions re-decided that were made in observer mode (in by_outcome and changed, not in auto_approvals). */
  readonly observed: number;
  /** Kills outside observer mode the what-if would auto-approve that were not, whose outcome is therefore unknown. */
  readonly newly_auto_approved_without_outcome: number;
  readonly changed: readonly ReDecision[];
}

const TELLING: Readonly<Record<OutcomeResult, 'up' | 'wrong' | null>> = { success: 'up', partial: 'up', re_killed: 'wrong', rollback: 'wrong', failure: null };

function record(kills: readonly ReDecision[], side: 'recorded' | 'whatIf'): AutoApprovalRecord {
  const approved = kills.filter((k) => !k.observed && k[side].outcome === 'approve_auto');
  const judged = approved.flatMap((k) => (k.result === null || TELLING[k.result] === null ? [] : [TELLING[k.result]]));
  const up = judged.filter((j) => j === 'up').length;
  return { auto_approved: approved.length, with_outcome: judged.length, stayed_up: up, went_wrong: judged.length - up, success_rate: judged.length === 0 ? null : round4(up / judged.length) };
}

/** Every decided kill re-decided under `t`, against what was decided and how it turned out. */
export function whatIf(kills: readonly DecidedKillFacts[], t: DecisionThresholds, settings: WhatIfSettings): WhatIfSummary {
  const redone = kills.flatMap((k) => {
    const r = reDecide(k, t, settings);
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
    observed: redone.filter((k) => k.observed).length,
    newly_auto_approved_without_outcome: redone.filter((k) => !k.observed && k.whatIf.outcome === 'approve_auto' && k.recorded.outcome !== 'approve_auto' && k.result === null).length,
    changed: redone.filter((k) => k.whatIf.outcome !== k.recorded.outcome),
  };
}
