import {
  backoffDelaySeconds,
  evolveModuleKill,
  laterRelease,
  moduleStanding,
  quarantineOf,
  type KillEvent,
  type ModuleKillFacts,
  type ModuleRelease,
  type StandingSettings,
} from '@medic/domain';
import { aReport } from '../../test/domain-fixtures';
import { sample, SAMPLE_EVENTS } from '../../test/kill-event-samples';

/*
 * A module's standing after its kills: backoff (Kubernetes' CrashLoopBackOff
 * numbers by default) and quarantine, over tables written out by hand.
 */

const K8S: StandingSettings = { backoff: { initialSeconds: 10, maxSeconds: 300, resetAfterStableSeconds: 600 }, quarantineAfterReKills: 3 };
const T0 = Date.parse('2026-02-11T12:00:00.000Z');
/** The instant `s` seconds after T0. */
const t = (s: number) => new Date(T0 + s * 1000).toISOString();

/** A resurrection started at `start` (seconds after T0), re-killed at `reKilled` (or not). */
const kill = (n: number, start: number | null, reKilled: number | null = null): ModuleKillFacts => ({
  killId: `k${n}`,
  module: 'nginx-test',
  reportedAt: t(start === null ? 0 : start - 1),
  startedAt: start === null ? null : t(start),
  reKilledAt: reKilled === null ? null : t(reKilled),
});

const standing = (kills: ModuleKillFacts[], at: number, release: ModuleRelease | null = null, settings = K8S) => moduleStanding('nginx-test', kills, release, settings, t(at));

describe('backoff delay: initial, doubling, capped', () => {
  it.each([
    [0, 0],
    [1, 10],
    [2, 20],
    [3, 40],
    [5, 160],
    [6, 300],
    [60, 300],
  ])('attempt %i waits %i s', (attempt, seconds) => {
    expect(backoffDelaySeconds(attempt, K8S.backoff)).toBe(seconds);
  });

  it('takes fractions of a second', () => {
    expect(backoffDelaySeconds(3, { initialSeconds: 0.5, maxSeconds: 1.5, resetAfterStableSeconds: 2 })).toBe(1.5);
    expect(backoffDelaySeconds(2, { initialSeconds: 0.5, maxSeconds: 1.5, resetAfterStableSeconds: 2 })).toBe(1);
  });
});

describe('the run of re-kills and the backoff it sets', () => {
  interface Case {
    readonly name: string;
    readonly kills: ModuleKillFacts[];
    readonly at: number;
    readonly release?: ModuleRelease;
    readonly run: number;
    /** The backoff's end in seconds after T0, or null for none. */
    readonly until: number | null;
  }
  const cases: Case[] = [
    { name: 'never resurrected', kills: [kill(1, null)], at: 5, run: 0, until: null },
    { name: 'resurrected, not re-killed', kills: [kill(1, 10)], at: 20, run: 0, until: null },
    { name: 'one re-kill: 10 s after it', kills: [kill(1, 10, 15), kill(2, null)], at: 16, run: 1, until: 25 },
    { name: 'two in a row: 20 s', kills: [kill(1, 10, 15), kill(2, 30, 35)], at: 36, run: 2, until: 55 },
    { name: 'three in a row: 40 s', kills: [kill(1, 10, 15), kill(2, 30, 35), kill(3, 60, 62)], at: 63, run: 3, until: 102 },
    { name: 'the backoff passed', kills: [kill(1, 10, 15)], at: 26, run: 1, until: null },
    { name: 'eight in a row: capped at 300 s', kills: Array.from({ length: 8 }, (_, i) => kill(i + 1, i * 100, i * 100 + 5)), at: 706, run: 8, until: 1005 },
    {
      name: 'a resurrection that ran 10 min before its re-kill starts a new run',
      kills: [kill(1, 10, 15), kill(2, 30, 35), kill(3, 100, 700)],
      at: 701,
      run: 1,
      until: 710,
    },
    { name: 'up for 10 min since the last re-kill: no backoff', kills: [kill(1, 10, 15), kill(2, 30, null)], at: 630, run: 0, until: null },
    { name: 'up for less since the last re-kill: the run holds', kills: [kill(1, 10, 15), kill(2, 30, 35), kill(3, 50, null)], at: 52, run: 2, until: 55 },
    {
      name: 'a release starts afresh',
      kills: [kill(1, 10, 15), kill(2, 30, 35), kill(3, 60, 62)],
      release: { at: t(63), actor: 'admin', reason: null },
      at: 64,
      run: 0,
      until: null,
    },
    {
      name: 're-kills after a release count from one',
      kills: [kill(1, 10, 15), kill(2, 30, 35), kill(3, 70, 72)],
      release: { at: t(40), actor: 'admin', reason: null },
      at: 73,
      run: 1,
      until: 82,
    },
  ];

  it.each(cases)('$name', ({ kills, at, release, run, until }) => {
    const s = standing(kills, at, release ?? null);
    expect(s.consecutiveReKills).toBe(run);
    expect(s.backoff?.until ?? null).toBe(until === null ? null : t(until));
    if (s.backoff) {
      expect(s.backoff.attempt).toBe(run);
      expect(s.backoff.reason).toMatch(new RegExp(`killed again ${run} times? in a row.*until ${s.backoff.until}`));
    }
  });

  it('does not depend on the order the kills come in', () => {
    const kills = [kill(1, 10, 15), kill(2, 30, 35), kill(3, 60, 62), kill(4, 70)];
    expect(standing([...kills].reverse(), 71)).toEqual(standing(kills, 71));
  });
});

describe('quarantine', () => {
  const reKills = (...seconds: number[]) => seconds.map(t);
  const DAY = 24 * 3600;
  it.each([
    { name: 'two re-kills', times: reKills(10, 20), since: null },
    { name: 'three within a day', times: reKills(10, 20, 30), since: 30 },
    { name: 'three within exactly a day', times: reKills(0, 10, DAY), since: DAY },
    { name: 'three spread over more than a day', times: reKills(0, 10, DAY + 1), since: null },
    { name: 'the first three that fall within a day', times: reKills(0, 20, DAY + 1, DAY + 2, DAY + 3), since: DAY + 2 },
    { name: 'in any order', times: reKills(30, 10, 20), since: 30 },
  ])('$name → quarantined since $since', ({ times, since }) => {
    const q = quarantineOf('nginx-test', times, null, 3);
    expect(q?.since ?? null).toBe(since === null ? null : t(since));
  });

  it('names the module, the re-kills and who lifts it', () => {
    expect(quarantineOf('nginx-test', reKills(10, 20, 30), null, 3)?.reason).toBe(
      `module nginx-test is quarantined since ${t(30)}: 3 re-kills since it was first seen, 3 of them within 24 hours; a human approves each resurrection until an admin releases it`,
    );
  });

  it('stays after the day has passed, until a release; re-kills before the release no longer count', () => {
    const times = reKills(10, 20, 30);
    expect(quarantineOf('nginx-test', times, null, 3)).not.toBeNull();
    const release = { at: t(40), actor: 'admin', reason: 'fixed' };
    expect(quarantineOf('nginx-test', times, release, 3)).toBeNull();
    expect(quarantineOf('nginx-test', [...times, ...reKills(50, 60)], release, 3)).toBeNull();
    expect(quarantineOf('nginx-test', [...times, ...reKills(50, 60, 70)], release, 3)).toMatchObject({ since: t(70), reKills: 3 });
  });

  it('follows quarantine_after_rekills', () => {
    expect(quarantineOf('nginx-test', reKills(10), null, 1)?.since).toBe(t(10));
    expect(quarantineOf('nginx-test', reKills(10, 20, 30), null, 4)).toBeNull();
  });

  it('is part of the standing, with re-kills counted over the last day', () => {
    const kills = [kill(1, 10, 15), kill(2, 30, 35), kill(3, 60, 62), kill(4, null)];
    expect(standing(kills, 63)).toMatchObject({
      kills: 4,
      resurrections: 3,
      lastResurrectionAt: t(60),
      reKillsLastDay: 3,
      lastReKillAt: t(62),
      quarantine: { since: t(62), reKills: 3 },
    });
    expect(standing(kills, DAY + 20)).toMatchObject({ reKillsLastDay: 2, quarantine: { since: t(62) } });
  });
});

describe('releases', () => {
  const a = { at: t(10), actor: 'alice', reason: null };
  const b = { at: t(20), actor: 'bob', reason: 'patched' };
  const c = { at: t(20), actor: 'carol', reason: null };
  it.each([
    [null, null, null],
    [a, null, a],
    [null, a, a],
    [a, b, b],
    [b, a, b],
    [b, c, c],
    [c, b, c],
  ])('the later of %o and %o is %o', (x, y, later) => {
    expect(laterRelease(x, y)).toEqual(later);
  });
});

describe('one kill folded from its events', () => {
  const fold = (events: KillEvent[]) => events.reduce<ModuleKillFacts | null>(evolveModuleKill, null);
  it.each([
    { name: 'reported', events: [SAMPLE_EVENTS.KillReported], facts: { reportedAt: SAMPLE_EVENTS.KillReported.at, startedAt: null, reKilledAt: null } },
    {
      name: 'reported, started, re-killed',
      events: [SAMPLE_EVENTS.KillReported, sample('ResurrectionStarted', { at: t(5) }), sample('OutcomeRecorded', { at: t(9), result: 're_killed' })],
      facts: { reportedAt: SAMPLE_EVENTS.KillReported.at, startedAt: t(5), reKilledAt: t(9) },
    },
    {
      name: 'a start seen without its report (a reader of resurrections only)',
      events: [sample('ResurrectionStarted', { at: t(5) })],
      facts: { reportedAt: null, startedAt: t(5), reKilledAt: null },
    },
    { name: 'a retry: the latest start counts', events: [sample('ResurrectionStarted', { at: t(5) }), sample('ResurrectionStarted', { at: t(8) })], facts: { startedAt: t(8) } },
    { name: 'stayed stable: no re-kill', events: [sample('ResurrectionStarted', { at: t(5) }), sample('OutcomeRecorded', { result: 'success' })], facts: { reKilledAt: null } },
    { name: 'a reported kill repeated', events: [SAMPLE_EVENTS.KillReported, { ...SAMPLE_EVENTS.KillReported, at: t(99) }], facts: { reportedAt: SAMPLE_EVENTS.KillReported.at } },
  ])('$name', ({ events, facts }) => {
    expect(fold(events)).toMatchObject({ killId: 'demo-1', module: 'nginx-test', ...facts });
  });

  it('knows nothing of an outcome for a kill it never saw', () => {
    expect(fold([sample('OutcomeRecorded', { result: 're_killed' })])).toBeNull();
  });

  it('takes the module from the report', () => {
    expect(fold([{ ...SAMPLE_EVENTS.KillReported, report: aReport({ targetModule: 'billing' }) }])?.module).toBe('billing');
  });
});
