import { round4 } from '../shared/numbers';
import { addMilliseconds, compareInstants, formatInstant, parseInstant, secondsBetween } from '../shared/time';
import type { AnomalyDetected, HealthChecked, KillEvent, OutcomeResult, StabilityConfirmed } from '../workflow/kill-events';
import { NO_BASELINE, scoreCheck, type CheckBaseline } from './anomaly-score';
import type { CheckObservation } from './observation';
import { outcomeOf, postResurrectionMetrics } from './watch-outcomes';

/*
 * The monitor's watch over one resurrection, from ResurrectionSucceeded to
 * its outcome. Checks come at a fixed interval from the start of monitoring
 * until the window ends; a check scoring at or above the anomaly threshold
 * ends the watch with AnomalyDetected, a clean window with StabilityConfirmed.
 *
 * Re-kills and outcomes. The kill workflow closes a kill at its outcome, so
 * a success recorded at StabilityConfirmed could not become a re-kill later.
 * The success (or partial) outcome therefore waits in the `stable` phase
 * until the re-kill window has passed (StabilityConfirmed is written at
 * once, and the kill stays STABLE meanwhile): a kill of the same module
 * reported within the window closes the watch as `re_killed` instead. Either
 * way the watch gets exactly one outcome: the monitor decides both under the
 * watch's row lock.
 *
 * An operator may roll back a STABLE kill while its success waits: the
 * watch then waits for the rollback's result instead. Only a request the
 * workflow accepts in the very moment the window ends, before the monitor
 * has read it, comes too late: the kill is COMPLETED as a success and the
 * workflow refuses the executor's RollbackStarted (a dead letter says so),
 * though the executor does stop the module it was asked to.
 */

export type WatchPhase =
  /** Checks run at each interval. */
  | 'monitoring'
  /**
   * A check found the container stopped or gone: Smith stops a module before
   * it reports the kill, so a report of the module within the grace makes it
   * a re-kill; without one the anomaly stands when the grace ends.
   */
  | 'stopped'
  /** An anomaly with no automatic rollback: waiting for an operator (or a re-kill). */
  | 'anomaly'
  /** A rollback is asked for or under way; its result decides the outcome. */
  | 'rolling_back'
  /** Stable; the success waits for the re-kill window to pass. */
  | 'stable'
  | 'closed';

export interface MonitorSettings {
  readonly monitoringMs: number;
  readonly checkIntervalMs: number;
  /** How long after StabilityConfirmed a kill of the same module still counts as a re-kill. */
  readonly rekillWindowMs: number;
  readonly anomalyThreshold: number;
  /** The executor rolls back on its own at an anomaly (rollback.enabled and auto_trigger_on_anomaly). */
  readonly autoRollback: boolean;
  /** How long a module found stopped waits for a kill report before it is an anomaly (0: it is one at once). */
  readonly killReportGraceMs: number;
}

export interface ProbeStats {
  readonly checks: number;
  readonly failures: number;
  readonly totalLatencyMs: number;
  readonly maxLatencyMs: number;
}

export interface Watch extends WatchStart {
  readonly monitoringEndsAt: string;
  readonly phase: WatchPhase;
  /** When the monitor acts next: the next check while monitoring, the end of the grace while stopped, the end of the re-kill window while stable. */
  readonly dueAt: string | null;
  readonly checks: number;
  readonly firstHealthyAt: string | null;
  readonly timeToStableSeconds: number | null;
  readonly baseline: CheckBaseline;
  readonly restarts: number;
  readonly maxScore: number;
  /** What checks found after the module was first healthy (below the threshold: a partial success). */
  readonly issues: readonly string[];
  readonly probes: Readonly<Record<string, ProbeStats>>;
  readonly stableAt: string | null;
  readonly anomaly: { readonly score: number; readonly findings: readonly string[] } | null;
  readonly rollback: { readonly actor: string; readonly reason: string } | null;
  readonly outcome: { readonly outcomeId: string; readonly result: OutcomeResult } | null;
}

/** Names the policy as the actor of a rollback the executor starts on an anomaly. */
export const AUTO_ROLLBACK_ACTOR = 'policy:auto-rollback';

/** What a step of the watch produced: its new state and the events to append. */
export interface WatchStep {
  readonly watch: Watch;
  readonly events: readonly KillEvent[];
}

/** When and under which id an outcome would be recorded (ids and time come from outside). */
export interface OutcomeContext {
  readonly at: string;
  readonly outcomeId: string;
}

export interface WatchStart {
  readonly killId: string;
  readonly requestId: string;
  readonly decisionId: string;
  readonly targetModule: string;
  readonly containerId: string | null;
  /** When the resurrection began (ResurrectionStarted): time to stable counts from here. */
  readonly resurrectionStartedAt: string;
  /** When the module was up again (ResurrectionSucceeded): the window starts here. */
  readonly monitoringStartedAt: string;
}

/** A watch begins when the module is up again; its first check is due at once. */
export function startWatch(start: WatchStart, settings: MonitorSettings): Watch {
  return {
    ...start,
    monitoringEndsAt: addMilliseconds(start.monitoringStartedAt, settings.monitoringMs),
    phase: 'monitoring',
    dueAt: start.monitoringStartedAt,
    checks: 0,
    firstHealthyAt: null,
    timeToStableSeconds: null,
    baseline: NO_BASELINE,
    restarts: 0,
    maxScore: 0,
    issues: [],
    probes: {},
    stableAt: null,
    anomaly: null,
    rollback: null,
    outcome: null,
  };
}

/**
 * Judges one check made at `ctx.at`: the check itself is an event
 * (HealthChecked, what it saw), and so is any verdict it leads to. An anomaly
 * ends the watch's checks; so does the end of the window, stable when some
 * check found the module healthy and none reached the threshold, an anomaly
 * when none ever found it healthy.
 */
export function recordCheck(watch: Watch, observation: CheckObservation, ctx: OutcomeContext, settings: MonitorSettings): WatchStep {
  if (watch.phase !== 'monitoring') return { watch, events: [] };
  const { at } = ctx;
  const check: HealthChecked = { type: 'HealthChecked', killId: watch.killId, at, requestId: watch.requestId, container: observation.container, probes: observation.probes };
  const { watch: checked, score, findings } = checkedBy(watch, check, settings);
  if (checked.phase === 'stopped') return { watch: checked, events: [check] };
  if (score >= settings.anomalyThreshold) return then(checked, [check], anomaly(checked, score, findings, at), settings);
  if (compareInstants(at, watch.monitoringEndsAt) < 0) return { watch: checked, events: [check] };
  if (checked.firstHealthyAt === null) {
    const never = `no check in the ${round4(settings.monitoringMs / 1000)}s monitoring window found it healthy`;
    return then(checked, [check], anomaly(checked, 1, [never, ...findings], at), settings);
  }
  const stable: StabilityConfirmed = {
    type: 'StabilityConfirmed',
    killId: watch.killId,
    at,
    requestId: watch.requestId,
    timeToStableSeconds: checked.timeToStableSeconds!,
    metrics: postResurrectionMetrics(checked, at),
  };
  const settled = then(checked, [check], stable, settings);
  if (settings.rekillWindowMs > 0) return settled;
  const closed = closeStable(settled.watch, ctx);
  return { watch: closed.watch, events: [...settled.events, ...closed.events] };
}

/**
 * Folds an event into the watch: what the monitor itself appended (its
 * checks, verdicts and outcomes) and a rollback of the kill asked for or
 * begun. Everything a watch holds comes from these, so it can be folded
 * again from the log. What a check saw counts whatever the phase (a check
 * and a rollback may cross); only a watch still monitoring moves to its next check.
 */
export function evolveWatch(watch: Watch, event: KillEvent, settings: MonitorSettings): Watch {
  if (event.type === 'HealthChecked') return checkedBy(watch, event, settings).watch;
  if (event.type === 'AnomalyDetected') {
    const base: Watch = { ...watch, dueAt: null, anomaly: { score: event.anomalyScore, findings: event.findings } };
    // With automatic rollback the executor acts on the event itself; the watch waits for the rollback's result.
    return settings.autoRollback ? rollbackUnderway(base, { actor: AUTO_ROLLBACK_ACTOR, reason: anomalyReason(event) }) : { ...base, phase: 'anomaly' };
  }
  if (event.type === 'StabilityConfirmed') return { ...watch, phase: 'stable', stableAt: event.at, dueAt: addMilliseconds(event.at, settings.rekillWindowMs) };
  if (event.type === 'OutcomeRecorded') return closedWith(watch, event.outcomeId, event.result);
  if (event.type === 'RollbackRequested' || event.type === 'RollbackStarted') return rollbackUnderway(watch, { actor: event.actor, reason: event.reason });
  // Nothing else about the kill changes its watch.
  return watch;
}

/** The grace of a module found stopped has passed with no kill reported: what the check found is the anomaly. */
export function confirmStopped(watch: Watch, ctx: OutcomeContext, settings: MonitorSettings): WatchStep {
  if (watch.phase !== 'stopped' || watch.anomaly === null) return { watch, events: [] };
  return then(watch, [], anomaly(watch, watch.anomaly.score, watch.anomaly.findings, ctx.at), settings);
}

/** The re-kill window after StabilityConfirmed has passed: the success (or partial success) is recorded. */
export function closeStable(watch: Watch, ctx: OutcomeContext): WatchStep {
  if (watch.phase !== 'stable') return { watch, events: [] };
  const result = watch.issues.length === 0 ? 'success' : 'partial';
  return close(watch, ctx, result, { lessons: watch.issues.map((i) => `after it was healthy: ${i}`) });
}

export interface Rekill {
  readonly killId: string;
  readonly at: string;
  readonly sourceAgent: string;
}

/**
 * Another kill of the watched module: the earlier resurrection did not
 * hold. Counted while it is watched, found stopped (the kill reported after
 * the module was stopped), waiting on an operator after an anomaly, or
 * stable within the re-kill window; a rollback under way ends in its own
 * outcome instead.
 */
export function recordRekill(watch: Watch, rekill: Rekill, ctx: OutcomeContext, settings: MonitorSettings): WatchStep {
  if (rekill.killId === watch.killId) return { watch, events: [] };
  const inWindow = watch.phase === 'stable' && watch.stableAt !== null && compareInstants(rekill.at, addMilliseconds(watch.stableAt, settings.rekillWindowMs)) <= 0;
  if (watch.phase !== 'monitoring' && watch.phase !== 'stopped' && watch.phase !== 'anomaly' && !inWindow) return { watch, events: [] };
  const after = secondsBetween(watch.monitoringStartedAt, rekill.at);
  return close(watch, ctx, 're_killed', { lessons: [`killed again by ${rekill.sourceAgent} (kill ${rekill.killId}) ${after}s after the module was back`] });
}

/** A rollback was asked for (by an operator) or started: its result will decide the outcome. */
export function rollbackUnderway(watch: Watch, rollback: { readonly actor: string; readonly reason: string }): Watch {
  if (watch.phase === 'closed') return watch;
  return { ...watch, phase: 'rolling_back', dueAt: null, rollback: watch.rollback ?? rollback };
}

/** The executor stopped the module (outcome `rollback`) or could not (outcome `failure`). */
export function recordRollbackResult(watch: Watch, result: { readonly completed: boolean; readonly reason: string | null }, ctx: OutcomeContext): WatchStep {
  if (watch.phase === 'closed') return { watch, events: [] };
  const by = watch.rollback ?? { actor: 'unknown', reason: 'not recorded' };
  const lessons = [`rolled back by ${by.actor}: ${by.reason}`, ...(result.completed ? [] : [`the rollback failed: ${result.reason ?? 'no reason given'}`])];
  const human = by.actor === AUTO_ROLLBACK_ACTOR ? null : `${by.actor}: ${by.reason}`;
  return close(watch, ctx, result.completed ? 'rollback' : 'failure', { lessons, humanFeedback: human });
}

/** Why the policy rolls back at an anomaly, as the rollback's reason. */
export function anomalyReason(event: AnomalyDetected): string {
  return `anomaly score ${event.anomalyScore}: ${event.findings.join('; ')}`;
}

/**
 * What one check saw, counted into the watch's statistics (while monitoring,
 * the next check is due), with the check's anomaly score and findings.
 */
function checkedBy(watch: Watch, check: HealthChecked, settings: MonitorSettings): { readonly watch: Watch; readonly score: number; readonly findings: readonly string[] } {
  const scored = scoreCheck(check, watch.baseline);
  const firstHealthyAt = watch.firstHealthyAt ?? (scored.healthy ? check.at : null);
  const findings = scored.findings.map((f) => f.text);
  const checked: Watch = {
    ...watch,
    checks: watch.checks + 1,
    baseline: scored.baseline,
    restarts: Math.max(watch.restarts, scored.restarts),
    maxScore: Math.max(watch.maxScore, scored.score),
    firstHealthyAt,
    timeToStableSeconds: firstHealthyAt === null ? null : secondsBetween(watch.resurrectionStartedAt, firstHealthyAt),
    issues: watch.firstHealthyAt !== null ? [...watch.issues, ...findings.filter((f) => !watch.issues.includes(f))] : watch.issues,
    probes: probeStats(watch.probes, check),
  };
  if (watch.phase === 'monitoring' && settings.killReportGraceMs > 0 && scored.score >= settings.anomalyThreshold && stoppedOrGone(check)) {
    const stopped: Watch = { ...checked, phase: 'stopped', dueAt: addMilliseconds(check.at, settings.killReportGraceMs), anomaly: { score: round4(scored.score), findings } };
    return { watch: stopped, score: scored.score, findings };
  }
  const inWindow = compareInstants(check.at, watch.monitoringEndsAt) < 0;
  const next = watch.phase === 'monitoring' && inWindow ? { ...checked, dueAt: nextCheckAt(checked, check.at, settings) } : checked;
  return { watch: next, score: scored.score, findings };
}

/** What a kill leaves: the container gone, or not running and not killed by the kernel for memory. */
function stoppedOrGone(check: HealthChecked): boolean {
  const c = check.container;
  return c === null || (!c.running && !c.oomKilled && c.status !== 'restarting');
}

function anomaly(watch: Watch, score: number, findings: readonly string[], at: string): AnomalyDetected {
  return { type: 'AnomalyDetected', killId: watch.killId, at, requestId: watch.requestId, anomalyScore: round4(score), findings };
}

/** The watch after `earlier` (already folded into it) and then `event`. */
function then(watch: Watch, earlier: readonly KillEvent[], event: KillEvent, settings: MonitorSettings): WatchStep {
  return { watch: evolveWatch(watch, event, settings), events: [...earlier, event] };
}

function close(watch: Watch, ctx: OutcomeContext, result: OutcomeResult, more: { readonly lessons: readonly string[]; readonly humanFeedback?: string | null }): WatchStep {
  const event = outcomeOf(watch, result, ctx, more);
  return { watch: closedWith(watch, ctx.outcomeId, result), events: [event] };
}

function closedWith(watch: Watch, outcomeId: string, result: OutcomeResult): Watch {
  return { ...watch, phase: 'closed', dueAt: null, outcome: { outcomeId, result } };
}

/** The next check: on the interval grid from the start of monitoring (a missed one is not made up), the last one at the window's end. */
function nextCheckAt(watch: Watch, at: string, settings: MonitorSettings): string {
  const start = parseInstant(watch.monitoringStartedAt)!;
  const slot = Math.floor((parseInstant(at)! - start) / settings.checkIntervalMs) + 1;
  const next = formatInstant(start + slot * settings.checkIntervalMs);
  return compareInstants(next, watch.monitoringEndsAt) < 0 ? next : watch.monitoringEndsAt;
}

function probeStats(before: Readonly<Record<string, ProbeStats>>, observation: CheckObservation): Record<string, ProbeStats> {
  const out: Record<string, ProbeStats> = { ...before };
  for (const p of observation.probes) {
    const s = out[p.name] ?? { checks: 0, failures: 0, totalLatencyMs: 0, maxLatencyMs: 0 };
    out[p.name] = { checks: s.checks + 1, failures: s.failures + (p.ok ? 0 : 1), totalLatencyMs: s.totalLatencyMs + p.latencyMs, maxLatencyMs: Math.max(s.maxLatencyMs, p.latencyMs) };
  }
  return out;
}
