import { round4 } from '../shared/numbers';
import { plural } from '../shared/wording';
import type { CheckObservation, ContainerObservation, ProbeObservation } from './observation';

/** What earlier checks of a resurrection leave for the next one to be judged against. */
export interface CheckBaseline {
  /** The restart count and start time the first check saw; later restarts count from there. */
  readonly restartCount: number | null;
  readonly startedAt: string | null;
  /** Failures in a row, per probe name. */
  readonly probeFailures: Readonly<Record<string, number>>;
}

export interface Finding {
  readonly code: 'container_gone' | 'not_running' | 'oom_killed' | 'restarted' | 'unhealthy' | 'probe_failed' | 'probe_failing';
  /** How much it alone says the module misbehaves, in [0,1]. */
  readonly weight: number;
  readonly text: string;
}

export interface CheckScore {
  /** In [0,1]: the findings combined as independent evidence, 1 − Π(1 − weight). */
  readonly score: number;
  readonly findings: readonly Finding[];
  /** Nothing found, the engine's healthcheck (if any) past `starting`, every probe passing. */
  readonly healthy: boolean;
  /** Restarts since the first check. */
  readonly restarts: number;
  readonly baseline: CheckBaseline;
}

export const NO_BASELINE: CheckBaseline = { restartCount: null, startedAt: null, probeFailures: {} };

/*
 * Weights. A module that is down (gone, exited, OOM-killed) is an anomaly
 * whatever else is seen. A restart weighs 0.4 (two make 0.8); the engine
 * calling the module unhealthy weighs 0.8, since the engine has already
 * retried its healthcheck before saying so. A probe weighs 0.2 while it
 * fails fewer times in a row than its failure threshold (a slow start, a
 * blip) and 0.8 from the threshold on.
 */
const DOWN = 1;
const PER_RESTART = 0.4;
const UNHEALTHY = 0.8;
const PROBE_FAILING = 0.2;
const PROBE_FAILED = 0.8;

/** Scores one check: the findings, their combined anomaly score, and the baseline for the next check. */
export function scoreCheck(observation: CheckObservation, baseline: CheckBaseline): CheckScore {
  const probeFailures = streaks(observation.probes, baseline.probeFailures);
  const probeFindings = observation.probes.flatMap((p) => probeFinding(p, probeFailures[p.name] ?? 0));
  const c = observation.container;
  if (c === null) {
    const findings = [{ code: 'container_gone' as const, weight: DOWN, text: 'the container is gone' }, ...probeFindings];
    return { score: combine(findings), findings, healthy: false, restarts: 0, baseline: { ...baseline, probeFailures } };
  }
  const restartCount = baseline.restartCount ?? c.restartCount;
  const startedAt = baseline.startedAt ?? c.startedAt;
  const restarts = Math.max(c.restartCount - restartCount, c.startedAt !== startedAt ? 1 : 0);
  const findings = [...containerFindings(c, restarts), ...probeFindings];
  return {
    score: combine(findings),
    findings,
    healthy: findings.length === 0 && c.health !== 'starting',
    restarts,
    baseline: { restartCount, startedAt, probeFailures },
  };
}

function containerFindings(c: ContainerObservation, restarts: number): Finding[] {
  const found: Finding[] = [];
  if (c.oomKilled) found.push({ code: 'oom_killed', weight: DOWN, text: 'killed for running out of memory (OOMKilled)' });
  if (!c.running) found.push({ code: 'not_running', weight: DOWN, text: `not running (${c.status}${c.exitCode === null ? '' : `, exit code ${c.exitCode}`})` });
  if (restarts > 0) found.push({ code: 'restarted', weight: Math.min(1, PER_RESTART * restarts), text: `restarted ${plural(restarts, 'time')} since monitoring began` });
  if (c.health === 'unhealthy') found.push({ code: 'unhealthy', weight: UNHEALTHY, text: "the engine's healthcheck reports it unhealthy" });
  return found;
}

function streaks(probes: readonly ProbeObservation[], before: Readonly<Record<string, number>>): Record<string, number> {
  return Object.fromEntries(probes.map((p) => [p.name, p.ok ? 0 : (before[p.name] ?? 0) + 1]));
}

function probeFinding(p: ProbeObservation, inARow: number): Finding[] {
  if (p.ok) return [];
  const failed = inARow >= p.failureThreshold;
  return [
    {
      code: failed ? 'probe_failed' : 'probe_failing',
      weight: failed ? PROBE_FAILED : PROBE_FAILING,
      text: `probe ${p.name} failed ${inARow === 1 ? 'once' : `${inARow} times in a row`}${failed ? '' : ` (it counts from ${p.failureThreshold})`}: ${p.detail}`,
    },
  ];
}

function combine(findings: readonly Finding[]): number {
  return round4(1 - findings.reduce((clean, f) => clean * (1 - f.weight), 1));
}
