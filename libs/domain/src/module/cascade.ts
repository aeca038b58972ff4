import { formatInstant, requireInstant } from '../shared/time';
import type { KillEvent } from '../workflow/kill-events';

const ms = requireInstant;

/*
 * Correlated kills: Smith often kills a module together with the modules that
 * depend on it (its report names them in `dependencies`, and their own kills
 * come as `dependency_cascade`). Brought back in any order, a dependent
 * started before what it depends on fails its checks and is rolled back. So a
 * dependent's resurrection waits while a module it depends on, killed in the
 * same cascade, may still come back; it goes ahead once that module is back,
 * or its kill is settled without it (denied, expired, vetoed, failed), and at
 * the latest `maxWaitSeconds` after the dependent was killed. The executor
 * wakes it as soon as the last of them settles (`dependencyWaitOver`); it also
 * looks again every `recheckSeconds` on its own. Two modules that
 * each name the other as depending on them are not ordered.
 */

/** resurrection.cascade.* */
export interface CascadeSettings {
  /** Kills reported within this many seconds of each other form a cascade; 0: resurrections are not ordered. */
  readonly windowSeconds: number;
  /** The longest a dependent waits for what it depends on, from its own kill. */
  readonly maxWaitSeconds: number;
  /** How often a held-back dependent looks again on its own, besides being woken when what it waits for settles. */
  readonly recheckSeconds: number;
}

/** One kill, as far as the order of resurrections goes. */
export interface CascadeKill {
  readonly killId: string;
  readonly module: string;
  /** The modules its report says depend on it (KillReport.dependencies). */
  readonly dependents: readonly string[];
  readonly reportedAt: string;
  /** When its module came back (ResurrectionSucceeded) or its kill was settled without that; null while it may still come back. */
  readonly doneAt: string | null;
  /** The kills its resurrection is held back for now (ResurrectionDeferred), until it is resumed. */
  readonly waitsFor: readonly string[];
  /** When its latest resurrection started (ResurrectionStarted); null until one did. */
  readonly startedAt: string | null;
  /** When its resurrection succeeded (ResurrectionSucceeded), which the monitor watches from then on; null until then (absent in facts kept before it was). */
  readonly succeededAt?: string | null;
  /** When the monitor was first seen checking its module after that (HealthChecked); null until then. */
  readonly watchedAt: string | null;
  /** When the monitor gave its verdict on the resurrection (OutcomeRecorded, whatever the result); null until then. */
  readonly verdictAt: string | null;
}

/** A dependent held back for what it depends on. */
export interface DependencyWait {
  /** The kills of the modules it waits for. */
  readonly waitsFor: readonly CascadeKill[];
  /** When to look again on its own: `recheckSeconds` on, and never past the end of the wait. */
  readonly notBefore: string;
  readonly reason: string;
}

/** Folds one kill event into its kill's cascade facts (one record per kill, whatever the order of partitions). */
export function evolveCascadeKill(facts: CascadeKill | null, event: KillEvent): CascadeKill | null {
  if (event.type === 'KillReported') {
    const { targetModule, dependencies } = event.report;
    const dependents = [...new Set(dependencies)].filter((d) => d !== targetModule);
    return facts ?? { killId: event.killId, module: targetModule, dependents, reportedAt: event.at, doneAt: null, waitsFor: [], startedAt: null, watchedAt: null, verdictAt: null };
  }
  if (facts === null) return null;
  // What the monitor makes of a resurrection comes after the kill is settled: followed to the end.
  if (event.type === 'HealthChecked') return facts.watchedAt === null && facts.startedAt !== null ? { ...facts, watchedAt: event.at } : facts;
  if (event.type === 'OutcomeRecorded') return facts.verdictAt === null ? { ...facts, verdictAt: event.at } : facts;
  if (event.type === 'ResurrectionStarted') {
    const started = { ...facts, startedAt: event.at };
    return started.doneAt === null && started.waitsFor.length > 0 ? { ...started, waitsFor: [] } : started;
  }
  // When the resurrection succeeded is kept the first time, whatever became of the kill; it also settles it, as below.
  const current = event.type === 'ResurrectionSucceeded' && (facts.succeededAt ?? null) === null ? { ...facts, succeededAt: event.at } : facts;
  if (current.doneAt !== null) return current;
  if (settles(event)) return { ...current, doneAt: event.at, waitsFor: [] };
  if (event.type === 'ResurrectionDeferred') return { ...facts, waitsFor: [...event.waitsForKillIds] };
  if (event.type === 'ResurrectionResumed' && facts.waitsFor.length > 0) return { ...facts, waitsFor: [] };
  return facts;
}

/**
 * Whether a dependent held back for the modules it depends on may look again
 * now, before its timer: every kill it waits for is settled (its module back,
 * or not coming back on that kill). A kill not among `kills` counts as not
 * settled, so the timer decides. The executor looks again before it starts it.
 */
export function dependencyWaitOver(dependent: CascadeKill, kills: ReadonlyMap<string, CascadeKill>): boolean {
  return dependent.doneAt === null && dependent.waitsFor.length > 0 && dependent.waitsFor.every((id) => waitedOver(dependent, kills.get(id)));
}

/** A kill of another module is waited for until it is settled; an earlier kill of the same module, until its verdict (see verdictWait). */
function waitedOver(dependent: CascadeKill, waited: CascadeKill | undefined): boolean {
  if (waited === undefined) return false;
  return waited.module === dependent.module ? waited.verdictAt !== null : waited.doneAt !== null;
}

/** The events after which a kill's module is back, or will not come back on this kill. */
function settles(event: KillEvent): boolean {
  if (event.type === 'DecisionMade') return event.decision.outcome === 'deny' || event.decision.observeOnly;
  if (event.type === 'ResurrectionFailed') return !event.retriable;
  return event.type === 'ResurrectionSucceeded' || event.type === 'ApprovalDenied' || event.type === 'ApprovalExpired' || event.type === 'ResurrectionVetoed';
}

/**
 * Whether the resurrection of `dependent` must wait at `at`: some module it
 * depends on was killed within the cascade window of it and may still come
 * back, and the dependent has not yet waited `maxWaitSeconds`. `kills` may hold
 * any kills; those that do not name the dependent's module are left aside.
 */
export function dependencyWait(dependent: CascadeKill, kills: readonly CascadeKill[], settings: CascadeSettings, at: string): DependencyWait | null {
  if (settings.windowSeconds <= 0) return null;
  const bounds = waitBounds(dependent, settings, at);
  if (bounds === null) return null;
  const killedAt = ms(dependent.reportedAt);
  const waitsFor = kills
    .filter(
      (k) =>
        k.killId !== dependent.killId &&
        k.module !== dependent.module &&
        k.doneAt === null &&
        k.dependents.includes(dependent.module) &&
        // Two modules that each say the other depends on them would wait for each other: neither waits.
        !dependent.dependents.includes(k.module) &&
        Math.abs(ms(k.reportedAt) - killedAt) <= settings.windowSeconds * 1000,
    )
    .sort((a, b) => ms(a.reportedAt) - ms(b.reportedAt) || (a.killId < b.killId ? -1 : 1));
  if (waitsFor.length === 0) return null;
  const { notBefore, until } = bounds;
  const names = waitsFor.map((k) => `${k.module} (kill ${k.killId})`).join(', ');
  const reason =
    `module ${dependent.module} depends on ${names}, killed in the same cascade and not back yet: ` +
    `its resurrection waits for ${waitsFor.length === 1 ? 'it' : 'them'}, at most until ${until}; ` +
    `it goes ahead as soon as ${waitsFor.length === 1 ? 'that kill is' : 'they are'} settled, and is checked again at ${notBefore} in any case`;
  return { waitsFor, notBefore, reason };
}

/**
 * The bounds of a held-back kill's wait at `at`: it ends `maxWaitSeconds` after
 * the kill was reported (`until`; null once that has passed), and it looks
 * again `recheckSeconds` on, never past that end (`notBefore`).
 */
function waitBounds(kill: CascadeKill, settings: CascadeSettings, at: string): { readonly until: string; readonly notBefore: string } | null {
  const now = ms(at);
  const deadline = ms(kill.reportedAt) + settings.maxWaitSeconds * 1000;
  if (now >= deadline) return null;
  return { until: formatInstant(deadline), notBefore: formatInstant(Math.min(deadline, now + settings.recheckSeconds * 1000)) };
}

/**
 * Whether the resurrection of `kill` must wait at `at` for the monitor's
 * verdict on an earlier resurrection of the same module. Smith killing a
 * module again while the monitor watches it after a resurrection is a
 * re-kill, which the monitor records on the earlier kill (OutcomeRecorded
 * `re_killed`) and which sets the module's backoff and may quarantine it. The
 * monitor reads the report at the same time as the kill workflow decides on
 * it, so the approval of the new kill may come first: its resurrection waits
 * until the earlier one has its verdict, and the backoff and quarantine are
 * then asked again with the re-kill counted. An earlier resurrection counts
 * when it started before `kill` was reported, has no verdict, and the monitor
 * has been seen watching it, or it succeeded (which the monitor watches from
 * then on) in a stack where the monitor has been seen at work (`monitorSeen`):
 * so a re-kill before the monitor's first check, or while the monitor is down,
 * still waits, and a stack without the monitor never does. The wait ends at
 * the latest `maxWaitSeconds` after `kill` was reported, and it looks again
 * every `recheckSeconds` in any case, as a dependent does.
 */
export function verdictWait(kill: CascadeKill, kills: readonly CascadeKill[], settings: CascadeSettings, at: string, monitorSeen = false): DependencyWait | null {
  const bounds = waitBounds(kill, settings, at);
  if (bounds === null) return null;
  const killedAt = ms(kill.reportedAt);
  const watched = (k: CascadeKill) => k.watchedAt !== null || (monitorSeen && (k.succeededAt ?? null) !== null);
  const waitsFor = kills
    .filter((k) => k.killId !== kill.killId && k.module === kill.module && k.startedAt !== null && watched(k) && k.verdictAt === null && ms(k.startedAt) <= killedAt)
    .sort((a, b) => ms(a.startedAt!) - ms(b.startedAt!) || (a.killId < b.killId ? -1 : 1));
  if (waitsFor.length === 0) return null;
  const { notBefore, until } = bounds;
  const earlier = waitsFor.map((k) => `kill ${k.killId} (started ${formatInstant(ms(k.startedAt!))})`).join(', ');
  const reason =
    `module ${kill.module} was killed again while the monitor watched (or was to watch) its resurrection for ${earlier}: ` +
    `this resurrection waits for the monitor's verdict on ${waitsFor.length === 1 ? 'it' : 'them'} (a re-kill sets the module's backoff and may quarantine it), ` +
    `at most until ${until}; it goes ahead as soon as the verdict is recorded, and is checked again at ${notBefore} in any case`;
  return { waitsFor, notBefore, reason };
}
