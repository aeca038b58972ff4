import { dependencyWait, dependencyWaitOver, evolveCascadeKill, verdictWait, type CascadeKill, type KillEvent } from '@medic/domain';
import { aReport } from '../../test/domain-fixtures';
import { aDecision, sample } from '../../test/kill-event-samples';

/* The order of a cascade's resurrections: dependencies before dependents. */

const SETTINGS = { windowSeconds: 60, maxWaitSeconds: 300, recheckSeconds: 10 };
const T0 = '2026-02-11T12:00:00.000Z';
const at = (seconds: number) => new Date(Date.parse(T0) + seconds * 1000).toISOString();

function kill(killId: string, module: string, dependents: string[] = [], reportedSeconds = 0, doneAt: string | null = null, waitsFor: string[] = []): CascadeKill {
  return { killId, module, dependents, reportedAt: at(reportedSeconds), doneAt, waitsFor, startedAt: null, watchedAt: null, verdictAt: null };
}

describe('dependencyWait', () => {
  const api = kill('k-api', 'api', [], 2);

  it('holds a dependent while a module it depends on, killed in the same cascade, may still come back', () => {
    const db = kill('k-db', 'db', ['api', 'web'], 0);
    const wait = dependencyWait(api, [db], SETTINGS, at(3));
    expect(wait).not.toBeNull();
    expect(wait!.waitsFor.map((k) => k.killId)).toEqual(['k-db']);
    expect(wait!.reason).toBe(
      `module api depends on db (kill k-db), killed in the same cascade and not back yet: its resurrection waits for it, at most until ${at(302)}; it goes ahead as soon as that kill is settled, and is checked again at ${at(13)} in any case`,
    );
  });

  it('looks again on its own every recheckSeconds, never past the end of the wait', () => {
    const db = kill('k-db', 'db', ['api'], 0);
    expect(dependencyWait(api, [db], SETTINGS, at(2))!.notBefore).toBe(at(12));
    expect(dependencyWait(api, [db], { ...SETTINGS, recheckSeconds: 1.5 }, at(102))!.notBefore).toBe(at(103.5));
    expect(dependencyWait(api, [db], SETTINGS, at(295))!.notBefore).toBe(at(302)); // the end of the wait
  });

  it('lets it go once what it depends on is back or settled, or the wait is over', () => {
    expect(dependencyWait(api, [kill('k-db', 'db', ['api'], 0, at(5))], SETTINGS, at(6))).toBeNull();
    expect(dependencyWait(api, [kill('k-db', 'db', ['api'], 0)], SETTINGS, at(302))).toBeNull();
  });

  it('waits only for kills of other modules that name it, within the window either side', () => {
    const others = [
      kill('k-cache', 'cache', ['web'], 0), // names another module
      kill('k-old', 'db', ['api'], -70), // before the window
      kill('k-late', 'queue', ['api'], 63), // after it
      kill('k-api-2', 'api', ['api'], 1), // the module itself
      kill('k-api', 'db', ['api'], 0), // the same kill
    ];
    expect(dependencyWait(api, others, SETTINGS, at(3))).toBeNull();
    const both = dependencyWait(api, [kill('k-q', 'queue', ['api'], 50), kill('k-db', 'db', ['api'], -40)], SETTINGS, at(3))!;
    expect(both.waitsFor.map((k) => k.module)).toEqual(['db', 'queue']);
    expect(both.reason).toContain('depends on db (kill k-db), queue (kill k-q), killed in the same cascade and not back yet: its resurrection waits for them');
    expect(both.reason).toContain('it goes ahead as soon as they are settled');
  });

  it('does not make two modules that each depend on the other wait for each other', () => {
    const a = kill('k-a', 'a-svc', ['b-svc'], 0);
    const b = kill('k-b', 'b-svc', ['a-svc'], 1);
    expect(dependencyWait(a, [b], SETTINGS, at(2))).toBeNull();
    expect(dependencyWait(b, [a], SETTINGS, at(2))).toBeNull();
  });

  it('orders nothing with a window of 0', () => {
    expect(dependencyWait(api, [kill('k-db', 'db', ['api'], 2)], { ...SETTINGS, windowSeconds: 0 }, at(3))).toBeNull();
  });
});

describe('evolveCascadeKill', () => {
  const reported = sample('KillReported', { killId: 'k-db', at: T0, report: aReport({ killId: 'k-db', targetModule: 'db', dependencies: ['api', 'web', 'api', 'db'] }) });
  const start = evolveCascadeKill(null, reported)!;
  const doneBy = (event: KillEvent) => evolveCascadeKill(start, { ...event, killId: 'k-db', at: at(5) })!.doneAt;

  it('starts from the report: the modules that depend on it, once each, not itself', () => {
    expect(start).toEqual({ killId: 'k-db', module: 'db', dependents: ['api', 'web'], reportedAt: T0, doneAt: null, waitsFor: [], startedAt: null, watchedAt: null, verdictAt: null });
    expect(evolveCascadeKill(start, { ...reported, at: at(9) })).toBe(start);
  });

  it('is done when the module is back or its kill is settled without it', () => {
    for (const type of ['ResurrectionSucceeded', 'ApprovalDenied', 'ApprovalExpired', 'ResurrectionVetoed'] as const) expect(doneBy(sample(type))).toBe(at(5));
    expect(doneBy(sample('ResurrectionFailed', { retriable: false }))).toBe(at(5));
    expect(doneBy(sample('DecisionMade', { decision: aDecision('deny') }))).toBe(at(5));
    expect(doneBy(sample('DecisionMade', { decision: aDecision('pending_review', true) }))).toBe(at(5));
  });

  it('is still on its way back after a refusal tried again, a start, or a decision that approves or asks a human', () => {
    expect(doneBy(sample('ResurrectionFailed', { retriable: true }))).toBeNull();
    expect(doneBy(sample('ResurrectionStarted'))).toBeNull();
    expect(doneBy(sample('DecisionMade', { decision: aDecision('pending_review') }))).toBeNull();
    expect(doneBy(sample('DecisionMade', { decision: aDecision('approve_auto') }))).toBeNull();
  });

  it('keeps the first settling, and knows no kill before its report', () => {
    const back = evolveCascadeKill(start, sample('ResurrectionSucceeded', { killId: 'k-db', at: at(5) }))!;
    expect(evolveCascadeKill(back, sample('ApprovalDenied', { killId: 'k-db', at: at(9) }))).toBe(back);
    expect(evolveCascadeKill(null, sample('ResurrectionSucceeded', { killId: 'k-x' }))).toBeNull();
  });

  it('knows what its resurrection is held back for, until it is resumed, started or settled', () => {
    const held = evolveCascadeKill(start, sample('ResurrectionDeferred', { killId: 'k-db', at: at(3), attempt: 0, waitsForKillIds: ['k-x', 'k-y'] }))!;
    expect(held.waitsFor).toEqual(['k-x', 'k-y']);
    expect(evolveCascadeKill(held, sample('ResurrectionResumed', { killId: 'k-db', at: at(4) }))!.waitsFor).toEqual([]);
    expect(evolveCascadeKill(held, sample('ResurrectionStarted', { killId: 'k-db', at: at(4) }))!.waitsFor).toEqual([]);
    expect(evolveCascadeKill(held, sample('ApprovalDenied', { killId: 'k-db', at: at(4) }))).toMatchObject({ doneAt: at(4), waitsFor: [] });
    // A backoff holds it back for no kill.
    expect(evolveCascadeKill(start, sample('ResurrectionDeferred', { killId: 'k-db', at: at(3), attempt: 2, waitsForKillIds: [] }))!.waitsFor).toEqual([]);
  });
});

describe('evolveCascadeKill: what the monitor makes of a resurrection', () => {
  const reported = sample('KillReported', { killId: 'k-1', at: T0, report: aReport({ killId: 'k-1', targetModule: 'web' }) });
  const fold = (events: KillEvent[]) => events.reduce<CascadeKill | null>((facts, e) => evolveCascadeKill(facts, { ...e, killId: 'k-1' }), null)!;

  it('knows when the resurrection started, was first checked, and got its verdict, after the kill was settled too', () => {
    const facts = fold([
      reported,
      sample('ResurrectionStarted', { at: at(2) }),
      sample('ResurrectionSucceeded', { at: at(3) }),
      sample('HealthChecked', { at: at(4) }),
      sample('HealthChecked', { at: at(5) }),
      sample('OutcomeRecorded', { at: at(9), result: 're_killed' }),
      sample('OutcomeRecorded', { at: at(11), result: 'success' }),
    ]);
    expect(facts).toMatchObject({ doneAt: at(3), startedAt: at(2), succeededAt: at(3), watchedAt: at(4), verdictAt: at(9) });
  });

  it('knows when the resurrection succeeded after a refused attempt, once', () => {
    const facts = fold([
      reported,
      sample('ResurrectionStarted', { at: at(2) }),
      sample('ResurrectionFailed', { at: at(3), retriable: true }),
      sample('ResurrectionStarted', { at: at(5), attempt: 2 }),
      sample('ResurrectionSucceeded', { at: at(6) }),
      sample('ResurrectionSucceeded', { at: at(8) }),
    ]);
    expect(facts).toMatchObject({ doneAt: at(6), startedAt: at(5), succeededAt: at(6), verdictAt: null });
    expect(fold([reported, sample('ResurrectionStarted', { at: at(2) }), sample('ResurrectionFailed', { at: at(3), retriable: false })]).succeededAt ?? null).toBeNull();
  });

  it('is not watched by a check before any start', () => {
    expect(fold([reported, sample('HealthChecked', { at: at(4) })]).watchedAt).toBeNull();
  });
});

describe('verdictWait', () => {
  const watched = (killId: string, startedSeconds: number, verdictSeconds: number | null = null): CascadeKill => ({
    ...kill(killId, 'web', [], startedSeconds - 1, at(startedSeconds + 1)),
    startedAt: at(startedSeconds),
    watchedAt: at(startedSeconds + 1),
    verdictAt: verdictSeconds === null ? null : at(verdictSeconds),
  });
  const again = kill('k-2', 'web', [], 20);

  it('waits for the verdict on an earlier resurrection of the module the monitor watched when the kill came', () => {
    const wait = verdictWait(again, [watched('k-1', 5)], SETTINGS, at(21))!;
    expect(wait.waitsFor.map((k) => k.killId)).toEqual(['k-1']);
    expect(wait.notBefore).toBe(at(31));
    expect(wait.reason).toMatch(/^module web was killed again while the monitor watched \(or was to watch\) its resurrection for kill k-1 \(started 2026-02-11T12:00:05.000Z\): .*verdict.*backoff.*quarantine.*at most until 2026-02-11T12:05:20.000Z/);
    // The end of the wait bounds the next look, and ends the wait.
    expect(verdictWait(again, [watched('k-1', 5)], SETTINGS, at(315))!.notBefore).toBe(at(320));
    expect(verdictWait(again, [watched('k-1', 5)], SETTINGS, at(320))).toBeNull();
  });

  it('does not wait for a judged, unwatched or later resurrection, another module, or itself', () => {
    expect(verdictWait(again, [watched('k-1', 5, 19)], SETTINGS, at(21))).toBeNull();
    expect(verdictWait(again, [{ ...watched('k-1', 5), watchedAt: null }], SETTINGS, at(21))).toBeNull();
    expect(verdictWait(again, [watched('k-3', 25)], SETTINGS, at(26))).toBeNull();
    expect(verdictWait(again, [{ ...watched('k-1', 5), module: 'db' }], SETTINGS, at(21))).toBeNull();
    expect(verdictWait(again, [{ ...watched('k-2', 5), reportedAt: again.reportedAt }], SETTINGS, at(21))).toBeNull();
  });

  it('waits for one back but not yet checked (a re-kill before the first check, or the monitor down) once the monitor was seen at work, never in a stack without it', () => {
    const back = { ...watched('k-1', 5), watchedAt: null, succeededAt: at(6) };
    expect(verdictWait(again, [back], SETTINGS, at(21), true)!.waitsFor.map((k) => k.killId)).toEqual(['k-1']);
    expect(verdictWait(again, [back], SETTINGS, at(21), false)).toBeNull();
    // Started but not back (or refused): nothing for the monitor to watch.
    expect(verdictWait(again, [{ ...back, succeededAt: null }], SETTINGS, at(21), true)).toBeNull();
  });

  it('names every unjudged one, the earliest first', () => {
    expect(verdictWait(again, [watched('k-b', 9), watched('k-a', 5)], SETTINGS, at(21))!.waitsFor.map((k) => k.killId)).toEqual(['k-a', 'k-b']);
  });

  it("is over once the verdict is recorded, whatever the earlier kill's own state", () => {
    const held = { ...again, waitsFor: ['k-1'] };
    expect(dependencyWaitOver(held, new Map([['k-1', watched('k-1', 5)]]))).toBe(false);
    expect(dependencyWaitOver(held, new Map([['k-1', watched('k-1', 5, 22)]]))).toBe(true);
  });
});

describe('dependencyWaitOver', () => {
  const db = kill('k-db', 'db', ['api'], 0);
  const queue = kill('k-q', 'queue', ['api'], 1);
  const api = kill('k-api', 'api', [], 2, null, ['k-db', 'k-q']);
  const settled = (k: CascadeKill) => ({ ...k, doneAt: at(9) });
  const byId = (...kills: CascadeKill[]) => new Map(kills.map((k) => [k.killId, k]));

  it('is over once every kill the dependent waits for is settled', () => {
    expect(dependencyWaitOver(api, byId(settled(db), settled(queue)))).toBe(true);
  });

  it('is not while one of them may still come back, or is unknown (its timer decides then)', () => {
    expect(dependencyWaitOver(api, byId(settled(db), queue))).toBe(false);
    expect(dependencyWaitOver(api, byId(settled(db)))).toBe(false);
  });

  it('is not for a kill that waits for nothing, or is itself settled', () => {
    expect(dependencyWaitOver({ ...api, waitsFor: [] }, byId(settled(db), settled(queue)))).toBe(false);
    expect(dependencyWaitOver(settled(api), byId(settled(db), settled(queue)))).toBe(false);
  });
});
