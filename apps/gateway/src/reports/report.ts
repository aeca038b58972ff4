import { DECISION_OUTCOMES, inRiskOrder, KILL_REASONS, RISK_LEVELS, round4, SEVERITIES, type RiskThresholds } from '@medic/domain';
import type { OutcomeStats, OutcomeSummary } from '../outcomes/outcome-stats';
import type { ReportPeriod } from './report-period';
import { RESURRECTION_STATUSES } from '../decisions/decision-filters';

/** What the gateway's projections say of one period, as counted by the reports' queries. */
export interface PeriodFacts {
  /** Kills reported in the period, by their decision's outcome and risk (null: not decided yet), whether it was only observed (observer mode), severity and reason. */
  readonly kills: readonly (OutcomeRow & { risk_level: string | null; severity: string; kill_reason: string })[];
  /** From report to decision, in milliseconds, of the kills reported and decided. */
  readonly latency: { p50: number | null; p95: number | null; max: number | null };
  /** Approvals asked for in the period, by where they stand, with the median seconds to an answer. */
  readonly approvals: readonly { status: string; n: number; answer_p50: number | null }[];
  /** Approvals granted and denied in the period, by who answered. */
  readonly approvers: readonly { by: string; status: string; n: number }[];
  /** Resurrection requests made in the period, by status. */
  readonly resurrections: readonly { status: string; n: number; mean_ms: number | null; rolled_back: number }[];
  readonly modules: readonly { module: string; kills: number; denied: number; auto_approved: number; pending: number }[];
  readonly deadLetters: readonly { dlq: string; step: string; code: string; n: number }[];
  /** Kills by day and outcome (weekly reports only). */
  readonly days: readonly (OutcomeRow & { day: string })[];
  /** Outcomes recorded in the period. */
  readonly outcomes: OutcomeStats;
  /** The thresholds set in the period (ThresholdsUpdated), in order. */
  readonly thresholdChanges: readonly ThresholdChange[];
}

/** A count of kills by their decision's outcome (null: not decided yet) and whether the decision was only observed (observer mode: nothing acted on it). */
export interface OutcomeRow {
  readonly outcome: string | null;
  readonly observe_only: boolean | null;
  readonly n: number;
}

export interface ThresholdChange {
  readonly changed_at: string;
  readonly changed_by: string;
  readonly reason: string;
  readonly thresholds: RiskThresholds;
  readonly max_risk_level: string;
  readonly min_confidence: number;
}

export interface KillFigures {
  readonly reported: number;
  readonly decided: number;
  /** Decided in observer mode: recorded, nothing acted on them; left out of by_outcome and the rates. */
  readonly observed: number;
  /** The decisions acted on (and the kills not decided yet, as undecided). */
  readonly by_outcome: Record<string, number>;
  /** What Medic would have done with the observed kills. */
  readonly observed_by_outcome: Record<string, number>;
  /** Of the decisions acted on. */
  readonly auto_approval_rate: number | null;
  readonly deny_rate: number | null;
}

export interface Report {
  readonly period: { readonly kind: ReportPeriod['kind']; readonly from: string; readonly until: string; readonly time_zone: 'UTC'; readonly complete: boolean; readonly generated_at: string };
  readonly kills: KillFigures & {
    readonly by_risk_level: Record<string, number>;
    readonly by_severity: Record<string, number>;
    readonly by_reason: Record<string, number>;
    readonly decision_latency_ms: { readonly p50: number | null; readonly p95: number | null; readonly max: number | null };
  };
  readonly approvals: {
    readonly requested: number;
    readonly by_status: Record<string, number>;
    readonly median_seconds_to_answer: number | null;
    readonly answered_by: readonly { readonly actor: string; readonly granted: number; readonly denied: number }[];
  };
  readonly resurrections: { readonly requested: number; readonly by_status: Record<string, number>; readonly rolled_back: number; readonly mean_duration_ms: number | null };
  readonly outcomes: OutcomeSummary & { readonly per_risk_level: OutcomeStats['per_risk_level'] };
  readonly top_modules: PeriodFacts['modules'];
  readonly dead_letters: { readonly total: number; readonly by_kind: PeriodFacts['deadLetters'] };
  /** Thresholds set in the period (PUT /config/thresholds), in order: the decisions after each were made by it. */
  readonly threshold_changes: readonly ThresholdChange[];
  readonly previous_period: KillFigures & { readonly from: string; readonly until: string; readonly outcomes_success_rate: number | null };
  /** Weekly reports: each day's kills and decisions. */
  readonly per_day?: readonly (KillFigures & { readonly date: string })[];
}

const zeros = (keys: readonly string[]): Record<string, number> => Object.fromEntries(keys.map((k) => [k, 0]));
const rate = (n: number, of: number): number | null => (of === 0 ? null : round4(n / of));
const ms = (v: number | null): number | null => (v === null ? null : Math.round(Number(v) * 10) / 10);

/** Counts of `rows` by `key`, every known value present (0 when none), unknown ones added as they come. */
function countBy<R extends { n: number }>(rows: readonly R[], key: (r: R) => string | null, known: readonly string[], absent = 'undecided'): Record<string, number> {
  const out = zeros(known);
  for (const r of rows) {
    const k = key(r) ?? absent;
    out[k] = (out[k] ?? 0) + r.n;
  }
  return out;
}

const total = (rows: readonly { n: number }[]): number => rows.reduce((s, r) => s + r.n, 0);

/**
 * Kills and their decisions. A decision made in observer mode acted on
 * nothing: it is counted apart (observed), so the rates say what Medic did,
 * not what it would have done.
 */
function killFigures(rows: readonly OutcomeRow[]): KillFigures {
  const wasObserved = (r: OutcomeRow) => r.outcome !== null && r.observe_only === true;
  const observedRows = rows.filter(wasObserved);
  const acted = rows.filter((r) => !wasObserved(r));
  const byOutcome = countBy(acted, (r) => r.outcome, DECISION_OUTCOMES);
  const observed = total(observedRows);
  const decided = total(rows.filter((r) => r.outcome !== null));
  return {
    reported: total(rows),
    decided,
    observed,
    by_outcome: byOutcome,
    observed_by_outcome: countBy(observedRows, (r) => r.outcome, DECISION_OUTCOMES),
    auto_approval_rate: rate(byOutcome['approve_auto'] ?? 0, decided - observed),
    deny_rate: rate(byOutcome['deny'] ?? 0, decided - observed),
  };
}

/** A report of `period` from its facts and those of the period before it. */
export function buildReport(period: ReportPeriod, facts: PeriodFacts, previous: PeriodFacts, now: Date): Report {
  const { per_module: _perModule, per_risk_level: perRiskLevel, ...outcomes } = facts.outcomes;
  const answered = new Map<string, { granted: number; denied: number }>();
  for (const a of facts.approvers) {
    const entry = answered.get(a.by) ?? { granted: 0, denied: 0 };
    if (a.status === 'granted') entry.granted += a.n;
    if (a.status === 'denied') entry.denied += a.n;
    answered.set(a.by, entry);
  }
  // The median over all answered items is not the median of the statuses' medians: the one of the largest group stands for it.
  const answeredGroups = facts.approvals.filter((a) => a.answer_p50 !== null).sort((a, b) => b.n - a.n);
  const report: Report = {
    period: { kind: period.kind, from: period.from.toISOString(), until: period.until.toISOString(), time_zone: 'UTC', complete: period.until <= now, generated_at: now.toISOString() },
    kills: {
      ...killFigures(facts.kills),
      by_risk_level: countBy(facts.kills, (r) => r.risk_level, RISK_LEVELS),
      by_severity: countBy(facts.kills, (r) => r.severity, SEVERITIES),
      by_reason: countBy(facts.kills, (r) => r.kill_reason, KILL_REASONS),
      decision_latency_ms: { p50: ms(facts.latency.p50), p95: ms(facts.latency.p95), max: ms(facts.latency.max) },
    },
    approvals: {
      requested: facts.approvals.reduce((s, a) => s + a.n, 0),
      by_status: countBy(facts.approvals, (a) => a.status, ['pending', 'granted', 'denied', 'expired']),
      median_seconds_to_answer: answeredGroups.length === 0 ? null : ms(answeredGroups[0]!.answer_p50),
      answered_by: [...answered].map(([actor, n]) => ({ actor, ...n })).sort((a, b) => b.granted + b.denied - (a.granted + a.denied) || a.actor.localeCompare(b.actor)),
    },
    resurrections: {
      requested: facts.resurrections.reduce((s, r) => s + r.n, 0),
      by_status: countBy(facts.resurrections, (r) => r.status, RESURRECTION_STATUSES),
      rolled_back: facts.resurrections.reduce((s, r) => s + r.rolled_back, 0),
      mean_duration_ms: ms(facts.resurrections.find((r) => r.status === 'completed')?.mean_ms ?? null),
    },
    outcomes: { ...outcomes, per_risk_level: perRiskLevel },
    top_modules: facts.modules,
    dead_letters: { total: facts.deadLetters.reduce((s, d) => s + d.n, 0), by_kind: facts.deadLetters },
    // Thresholds are stored as jsonb, which gives its keys back in an order of its own.
    threshold_changes: facts.thresholdChanges.map((c) => ({ ...c, thresholds: inRiskOrder(c.thresholds) })),
    previous_period: {
      from: period.previous.from.toISOString(),
      until: period.previous.until.toISOString(),
      ...killFigures(previous.kills),
      outcomes_success_rate: previous.outcomes.success_rate,
    },
  };
  if (period.kind !== 'weekly') return report;
  return { ...report, per_day: period.days.map((date) => ({ date, ...killFigures(facts.days.filter((d) => d.day === date)) })) };
}
