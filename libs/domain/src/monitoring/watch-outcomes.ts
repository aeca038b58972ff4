import type { JsonObject } from '../shared/json';
import { round4 } from '../shared/numbers';
import type { OutcomeRecorded, OutcomeResult, ResurrectionFailed } from '../workflow/kill-events';
import { secondsBetween } from '../shared/time';
import type { OutcomeContext, Watch } from './watch';

/** The outcome of a watched resurrection (spec 2.5), with what the monitor measured. */
export function outcomeOf(watch: Watch, result: OutcomeResult, ctx: OutcomeContext, more: { readonly lessons: readonly string[]; readonly humanFeedback?: string | null }): OutcomeRecorded {
  const succeeded = result === 'success' || result === 'partial';
  return {
    type: 'OutcomeRecorded',
    killId: watch.killId,
    at: ctx.at,
    outcomeId: ctx.outcomeId,
    requestId: watch.requestId,
    decisionId: watch.decisionId,
    result,
    timeToStableSeconds: succeeded ? watch.timeToStableSeconds : null,
    metrics: postResurrectionMetrics(watch, ctx.at),
    smithFeedback: null,
    humanFeedback: more.humanFeedback ?? null,
    lessonsLearned: [...more.lessons],
    // The module was not what the approval took it for: evidence for the thresholds.
    shouldAdjustThreshold: !succeeded,
    targetModule: watch.targetModule,
  };
}

/** Post-resurrection metrics: what the checks saw, up to `at`. */
export function postResurrectionMetrics(watch: Watch, at: string): JsonObject {
  const probes: JsonObject = {};
  for (const [name, s] of Object.entries(watch.probes)) {
    probes[name] = { checks: s.checks, failures: s.failures, mean_latency_ms: s.checks === 0 ? 0 : round4(s.totalLatencyMs / s.checks), max_latency_ms: round4(s.maxLatencyMs) };
  }
  return {
    checks_run: watch.checks,
    restarts: watch.restarts,
    max_anomaly_score: watch.maxScore,
    time_to_stable_seconds: watch.timeToStableSeconds,
    first_healthy_at: watch.firstHealthyAt,
    monitored_seconds: secondsBetween(watch.monitoringStartedAt, at),
    probes,
    ...(watch.anomaly ? { anomaly: { score: watch.anomaly.score, findings: [...watch.anomaly.findings] } } : {}),
  };
}

/** The kill a resurrection that failed for good was for, as the monitor remembers it from the decision. */
export interface FailedResurrectionOf {
  readonly killId: string;
  readonly decisionId: string;
  readonly targetModule: string;
}

/**
 * The outcome of a resurrection that failed for good (spec 2.5 `failure`):
 * the module never came back, so there is nothing to watch. Null for a
 * failure the executor will try again (the next attempt decides). It says
 * nothing about whether the kill was right, so the thresholds are not asked
 * to move.
 */
export function failedResurrectionOutcome(kill: FailedResurrectionOf, failure: ResurrectionFailed, ctx: OutcomeContext): OutcomeRecorded | null {
  if (failure.retriable) return null;
  const attempt = failure.attempt === null ? 'before any attempt' : `at attempt ${failure.attempt}`;
  return {
    type: 'OutcomeRecorded',
    killId: kill.killId,
    at: ctx.at,
    outcomeId: ctx.outcomeId,
    requestId: failure.requestId,
    decisionId: kill.decisionId,
    result: 'failure',
    timeToStableSeconds: null,
    metrics: { attempts: failure.attempt ?? 0, failed_at: failure.at },
    smithFeedback: null,
    humanFeedback: null,
    lessonsLearned: [`the resurrection failed ${attempt} and will not be tried again: ${failure.reason}`],
    shouldAdjustThreshold: false,
    targetModule: failure.targetModule ?? kill.targetModule,
  };
}
