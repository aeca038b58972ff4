import { outcomeStats } from '../outcomes/outcome-stats';
import { buildReport, type PeriodFacts } from './report';
import { parseReportPeriod } from './report-period';

const none: PeriodFacts = {
  kills: [],
  latency: { p50: null, p95: null, max: null },
  approvals: [],
  approvers: [],
  resurrections: [],
  modules: [],
  deadLetters: [],
  days: [],
  outcomes: outcomeStats([]),
  thresholdChanges: [],
};

describe('a report from the facts of its period', () => {
  const now = new Date('2026-12-02T12:00:00Z');

  it('counts kills, decisions, approvals, resurrections, outcomes and dead letters, every known value present', () => {
    const facts: PeriodFacts = {
      ...none,
      kills: [
        { outcome: 'approve_auto', observe_only: false, risk_level: 'low', severity: 'low', kill_reason: 'anomaly_behavior', n: 6 },
        { outcome: 'deny', observe_only: false, risk_level: 'critical', severity: 'critical', kill_reason: 'threat_detected', n: 2 },
        { outcome: null, observe_only: null, risk_level: null, severity: 'medium', kill_reason: 'anomaly_behavior', n: 2 },
      ],
      latency: { p50: 120.04, p95: 300.26, max: 512 },
      approvals: [
        { status: 'granted', n: 3, answer_p50: 42.5 },
        { status: 'denied', n: 1, answer_p50: 10 },
        { status: 'pending', n: 2, answer_p50: null },
      ],
      approvers: [
        { by: 'alice', status: 'granted', n: 2 },
        { by: 'bob', status: 'granted', n: 1 },
        { by: 'bob', status: 'denied', n: 1 },
      ],
      resurrections: [
        { status: 'completed', n: 7, mean_ms: 830.55, rolled_back: 0 },
        { status: 'rolled_back', n: 1, mean_ms: 900, rolled_back: 1 },
      ],
      deadLetters: [{ dlq: 'kill_reports', step: 'listener', code: 'invalid_field', n: 3 }],
      outcomes: outcomeStats([
        { grouping: 'overall', key: null, result: 'success', n: 3, stable_seconds: 30, stable_n: 3 },
        { grouping: 'overall', key: null, result: 're_killed', n: 1, stable_seconds: null, stable_n: 0 },
      ]),
    };
    const r = buildReport(parseReportPeriod('daily', {}, now), facts, { ...none, kills: [{ outcome: 'deny', observe_only: false, risk_level: 'high', severity: 'high', kill_reason: 'policy_violation', n: 4 }] }, now);
    expect(r.period).toEqual({ kind: 'daily', from: '2026-12-02T00:00:00.000Z', until: '2026-12-03T00:00:00.000Z', time_zone: 'UTC', complete: false, generated_at: now.toISOString() });
    expect(r.kills).toMatchObject({
      reported: 10,
      decided: 8,
      by_outcome: { approve_auto: 6, approve_manual: 0, pending_review: 0, deny: 2, defer: 0, undecided: 2 },
      auto_approval_rate: 0.75,
      deny_rate: 0.25,
      by_risk_level: { minimal: 0, low: 6, medium: 0, high: 0, critical: 2, undecided: 2 },
      by_severity: { critical: 2, high: 0, medium: 2, low: 6, info: 0 },
      decision_latency_ms: { p50: 120, p95: 300.3, max: 512 },
    });
    expect(r.kills.by_reason).toMatchObject({ anomaly_behavior: 8, threat_detected: 2, manual_override: 0 });
    expect(r.approvals).toEqual({
      requested: 6,
      by_status: { pending: 2, granted: 3, denied: 1, expired: 0 },
      median_seconds_to_answer: 42.5,
      answered_by: [
        { actor: 'alice', granted: 2, denied: 0 },
        { actor: 'bob', granted: 1, denied: 1 },
      ],
    });
    expect(r.resurrections).toEqual({ requested: 8, by_status: { in_progress: 0, completed: 7, failed: 0, rolled_back: 1 }, rolled_back: 1, mean_duration_ms: 830.6 });
    expect(r.outcomes).toMatchObject({ total: 4, success_rate: 0.75, re_kill_rate: 0.25, mean_time_to_stable_seconds: 10 });
    expect(r.dead_letters).toEqual({ total: 3, by_kind: facts.deadLetters });
    expect(r.threshold_changes).toEqual([]);
    expect(r.previous_period).toMatchObject({ from: '2026-12-01T00:00:00.000Z', reported: 4, decided: 4, deny_rate: 1, outcomes_success_rate: null });
    expect(r.per_day).toBeUndefined();
  });

  it('lists the thresholds set in the period from minimal to high, whatever order the database gave them in', () => {
    const change = { changed_at: '2026-12-02T09:00:00.000Z', changed_by: 'ops', reason: 'r', thresholds: JSON.parse('{"low":0.4,"high":0.8,"medium":0.6,"minimal":0.2}') as PeriodFacts['thresholdChanges'][number]['thresholds'], max_risk_level: 'low', min_confidence: 0.8 };
    const r = buildReport(parseReportPeriod('daily', {}, now), { ...none, thresholdChanges: [change] }, none, now);
    expect(r.threshold_changes).toEqual([{ ...change, thresholds: { minimal: 0.2, low: 0.4, medium: 0.6, high: 0.8 } }]);
    expect(Object.keys(r.threshold_changes[0]!.thresholds)).toEqual(['minimal', 'low', 'medium', 'high']);
  });

  it("gives a weekly report each day's figures and a finished period as complete", () => {
    const week = parseReportPeriod('weekly', { date: '2026-11-25' }, now);
    const r = buildReport(week, { ...none, days: [{ day: '2026-11-24', outcome: 'approve_auto', observe_only: false, n: 2 }, { day: '2026-11-24', outcome: null, observe_only: null, n: 1 }] }, none, now);
    expect(r.period.complete).toBe(true);
    expect(r.per_day).toHaveLength(7);
    expect(r.per_day![1]).toMatchObject({ date: '2026-11-24', reported: 3, decided: 2, auto_approval_rate: 1 });
    expect(r.per_day![0]).toMatchObject({ date: '2026-11-23', reported: 0, auto_approval_rate: null });
  });

  it('counts decisions made in observer mode apart: they acted on nothing, so they are not in the outcomes or the rates', () => {
    const kills: PeriodFacts['kills'] = [
      { outcome: 'approve_auto', observe_only: false, risk_level: 'low', severity: 'low', kill_reason: 'anomaly_behavior', n: 1 },
      { outcome: 'deny', observe_only: false, risk_level: 'critical', severity: 'critical', kill_reason: 'threat_detected', n: 1 },
      { outcome: 'approve_auto', observe_only: true, risk_level: 'low', severity: 'low', kill_reason: 'anomaly_behavior', n: 5 },
      { outcome: 'pending_review', observe_only: true, risk_level: 'medium', severity: 'medium', kill_reason: 'anomaly_behavior', n: 2 },
    ];
    const r = buildReport(parseReportPeriod('daily', {}, now), { ...none, kills }, none, now);
    expect(r.kills).toMatchObject({ reported: 9, decided: 9, observed: 7, auto_approval_rate: 0.5, deny_rate: 0.5 });
    expect(r.kills.by_outcome).toEqual({ approve_auto: 1, approve_manual: 0, pending_review: 0, deny: 1, defer: 0 });
    expect(r.kills.observed_by_outcome).toEqual({ approve_auto: 5, approve_manual: 0, pending_review: 2, deny: 0, defer: 0 });
    // Risk, severity and reason describe the kills, observed or not.
    expect(r.kills.by_risk_level).toMatchObject({ low: 6, medium: 2, critical: 1 });
    const onlyObserved = buildReport(parseReportPeriod('daily', {}, now), { ...none, kills: kills.slice(2) }, none, now);
    expect(onlyObserved.kills).toMatchObject({ decided: 7, observed: 7, auto_approval_rate: null, deny_rate: null });
  });
});
