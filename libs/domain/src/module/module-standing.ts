import type { ModuleReleased } from '../control/control-events';
import { formatInstant, requireInstant } from '../shared/time';
import { plural } from '../shared/wording';
import type { KillEvent } from '../workflow/kill-events';

const ms = requireInstant;

/*
 * Where a module stands after its kills and resurrections: how often it was
 * killed again after being brought back, whether its next resurrection must
 * wait (an exponential backoff, as Kubernetes' CrashLoopBackOff), and whether
 * it is quarantined (its kills go to a human until an admin releases it).
 *
 * The standing is computed from facts that do not depend on the order they
 * were folded in (one record per kill, the latest release), so services that
 * read the log's partitions in different orders, and a rebuild from offset 0,
 * all come to the same standing.
 */

/** resurrection.backoff.* (fractional seconds allowed). */
export interface BackoffSettings {
  readonly initialSeconds: number;
  readonly maxSeconds: number;
  /** A resurrection that stayed up this long ends the run of re-kills. */
  readonly resetAfterStableSeconds: number;
}

export interface StandingSettings {
  readonly backoff: BackoffSettings;
  /** resurrection.quarantine_after_rekills: this many re-kills within QUARANTINE_WINDOW_HOURS quarantine the module. */
  readonly quarantineAfterReKills: number;
}

/** How close together re-kills must come to quarantine a module. */
export const QUARANTINE_WINDOW_HOURS = 24;
const HOUR_MS = 3_600_000;

/** One kill of a module, as far as the module's standing goes. */
export interface ModuleKillFacts {
  readonly killId: string;
  readonly module: string;
  /** When Medic was told of the kill; null for a reader that does not follow reports. */
  readonly reportedAt: string | null;
  /** When its latest resurrection started; null until one did. */
  readonly startedAt: string | null;
  /** When it was recorded as killed again (OutcomeRecorded re_killed); null otherwise. */
  readonly reKilledAt: string | null;
}

/** An admin's release of a module from quarantine. */
export interface ModuleRelease {
  readonly at: string;
  readonly actor: string;
  readonly reason: string | null;
}

export interface ModuleQuarantine {
  readonly since: string;
  /** Re-kills since the last release. */
  readonly reKills: number;
  readonly reason: string;
}

export interface ModuleBackoff {
  /** The backoff step: consecutive re-kills; the delay is initial × 2^(attempt−1), capped. */
  readonly attempt: number;
  readonly delaySeconds: number;
  readonly until: string;
  readonly reason: string;
}

/** What a module's re-kills since its last release say: the backoff and the quarantine. */
export interface ReKillStanding {
  /** Re-kills in a row since the last resurrection that stayed up long enough, or the last release. */
  readonly consecutiveReKills: number;
  readonly quarantine: ModuleQuarantine | null;
  readonly release: ModuleRelease | null;
  /** Set while the module's next resurrection must wait, i.e. until a time after `at`. */
  readonly backoff: ModuleBackoff | null;
}

export interface ModuleStanding extends ReKillStanding {
  readonly module: string;
  readonly kills: number;
  readonly lastKillAt: string | null;
  readonly resurrections: number;
  readonly lastResurrectionAt: string | null;
  readonly reKillsLastDay: number;
  readonly lastReKillAt: string | null;
}

/** Folds one kill event into the facts of its kill (a pure projection, one record per kill). */
export function evolveModuleKill(facts: ModuleKillFacts | null, event: KillEvent): ModuleKillFacts | null {
  if (event.type === 'KillReported') {
    return facts ?? { killId: event.killId, module: event.report.targetModule, reportedAt: event.at, startedAt: null, reKilledAt: null };
  }
  if (event.type === 'ResurrectionStarted') {
    return { ...(facts ?? { killId: event.killId, module: event.targetModule, reportedAt: null, reKilledAt: null }), startedAt: event.at };
  }
  if (event.type === 'OutcomeRecorded' && event.result === 're_killed' && facts !== null) return { ...facts, reKilledAt: event.at };
  // Nothing else says when the module came back or was killed again.
  return facts;
}

export function releaseOf(event: ModuleReleased): ModuleRelease {
  return { at: event.at, actor: event.actor, reason: event.reason };
}

/** The later of two releases (ties broken by the actor's name, in code-point order): the same whatever order they come in. */
export function laterRelease(a: ModuleRelease | null, b: ModuleRelease | null): ModuleRelease | null {
  if (a === null || b === null) return a ?? b;
  const order = ms(a.at) - ms(b.at) || (a.actor === b.actor ? 0 : a.actor > b.actor ? 1 : -1);
  return order >= 0 ? a : b;
}

export function backoffDelaySeconds(attempt: number, settings: BackoffSettings): number {
  if (attempt <= 0) return 0;
  return Math.min(settings.maxSeconds, settings.initialSeconds * 2 ** (attempt - 1));
}

/**
 * Quarantined from the moment `afterReKills` re-kills since the last release
 * fall within QUARANTINE_WINDOW_HOURS, until the next release.
 */
export function quarantineOf(module: string, reKillTimes: readonly string[], release: ModuleRelease | null, afterReKills: number): ModuleQuarantine | null {
  const counted = reKillTimes.map(ms).filter((t) => release === null || t > ms(release.at)).sort((a, b) => a - b);
  for (let i = 0; i + afterReKills - 1 < counted.length; i++) {
    const tripped = counted[i + afterReKills - 1]!;
    if (tripped - counted[i]! <= QUARANTINE_WINDOW_HOURS * HOUR_MS) {
      const since = formatInstant(tripped);
      const reason =
        `module ${module} is quarantined since ${since}: ${counted.length} re-kills since ${release === null ? 'it was first seen' : `its release at ${release.at}`}, ` +
        `${afterReKills} of them within ${QUARANTINE_WINDOW_HOURS} hours; a human approves each resurrection until an admin releases it`;
      return { since, reKills: counted.length, reason };
    }
  }
  return null;
}

/** Where a module stands at `at`, from the facts of all its kills and its last release. */
export function moduleStanding(module: string, kills: readonly ModuleKillFacts[], release: ModuleRelease | null, settings: StandingSettings, at: string): ModuleStanding {
  const reKillTimes = kills.flatMap((k) => (k.reKilledAt === null ? [] : [k.reKilledAt]));
  return {
    module,
    kills: kills.filter((k) => k.reportedAt !== null).length,
    lastKillAt: latest(kills.map((k) => k.reportedAt)),
    resurrections: kills.filter((k) => k.startedAt !== null).length,
    lastResurrectionAt: latest(kills.map((k) => k.startedAt)),
    reKillsLastDay: reKillTimes.filter((t) => ms(t) > ms(at) - QUARANTINE_WINDOW_HOURS * HOUR_MS).length,
    lastReKillAt: latest(reKillTimes),
    ...reKillStanding(module, kills, release, settings, at),
  };
}

/**
 * The backoff and quarantine of a module at `at`. Only kills re-killed after
 * the release, and resurrections not re-killed, count: a reader may hand in
 * just those.
 */
export function reKillStanding(module: string, kills: readonly ModuleKillFacts[], release: ModuleRelease | null, settings: StandingSettings, at: string): ReKillStanding {
  const now = ms(at);
  const reKillTimes = kills.flatMap((k) => (k.reKilledAt === null ? [] : [k.reKilledAt]));
  const { streak, lastReKill } = reKillRun(kills, release, settings.backoff, now);
  return {
    consecutiveReKills: streak,
    quarantine: quarantineOf(module, reKillTimes, release, settings.quarantineAfterReKills),
    release,
    backoff: lastReKill === null ? null : backoffAfter(module, streak, lastReKill, settings.backoff, now),
  };
}

/**
 * The run of re-kills since the last release: each re-kill of a resurrection
 * that ran shorter than `resetAfterStableSeconds` extends it, a longer one
 * starts a new run; a resurrection up that long since the last re-kill ends it.
 */
function reKillRun(kills: readonly ModuleKillFacts[], release: ModuleRelease | null, settings: BackoffSettings, now: number): { streak: number; lastReKill: number | null } {
  const resetMs = settings.resetAfterStableSeconds * 1000;
  const releasedAt = release === null ? Number.NEGATIVE_INFINITY : ms(release.at);
  const reKilled = kills
    .flatMap((k) => (k.reKilledAt === null ? [] : [{ reKilledAt: ms(k.reKilledAt), ran: k.startedAt === null ? 0 : ms(k.reKilledAt) - ms(k.startedAt) }]))
    .filter((k) => k.reKilledAt > releasedAt)
    .sort((a, b) => a.reKilledAt - b.reKilledAt);
  let streak = 0;
  for (const k of reKilled) streak = k.ran >= resetMs ? 1 : streak + 1;
  const lastReKill = reKilled.at(-1)?.reKilledAt ?? null;
  if (lastReKill === null) return { streak: 0, lastReKill: null };
  const upSince = kills.flatMap((k) => (k.reKilledAt === null && k.startedAt !== null ? [ms(k.startedAt)] : [])).filter((t) => t > lastReKill);
  const stableSince = upSince.length > 0 ? Math.max(...upSince) : null;
  if (stableSince !== null && now - stableSince >= resetMs) return { streak: 0, lastReKill };
  return { streak, lastReKill };
}

function backoffAfter(module: string, attempt: number, lastReKill: number, settings: BackoffSettings, now: number): ModuleBackoff | null {
  const delaySeconds = backoffDelaySeconds(attempt, settings);
  const until = lastReKill + delaySeconds * 1000;
  if (attempt === 0 || until <= now) return null;
  const untilText = formatInstant(until);
  const reason = `module ${module} was killed again ${plural(attempt, 'time')} in a row after being brought back, last at ${formatInstant(lastReKill)}: backoff ${delaySeconds} s (attempt ${attempt}) until ${untilText}`;
  return { attempt, delaySeconds, until: untilText, reason };
}

function latest(times: readonly (string | null)[]): string | null {
  const known = times.filter((t): t is string => t !== null).map(ms);
  return known.length === 0 ? null : formatInstant(Math.max(...known));
}

