import {
  answerCommand,
  BACKOFF_ACTOR,
  decide,
  DEPENDENCIES_ACTOR,
  evolve,
  initialState,
  RETRY_ACTOR,
  timersOf,
  type KillEvent,
  type KillState,
  type Mode,
  type ModuleQuarantine,
  type ResumeResurrection,
  type ReviewApproval,
} from '@medic/domain';
import { aReport, decideCommand } from '../../test/domain-fixtures';
import { aDecision, sample, SAMPLE_EVENTS } from '../../test/kill-event-samples';

/*
 * The kill workflow's part in backoffs and quarantines, as Given events /
 * When command / Then events: a held-back resurrection is resumed once, when
 * due; a kill of a quarantined module goes to a human in every mode but observer.
 */

const fold = (...events: KillEvent[]): KillState => events.reduce<KillState | null>((s, e) => evolve(s, e), initialState())!;

const approved = [SAMPLE_EVENTS.KillReported, sample('DecisionMade', { decision: aDecision('approve_auto') })];
const deferred = sample('ResurrectionDeferred', { at: '2026-02-11T12:00:10.000Z', notBefore: '2026-02-11T12:00:30.000Z', attempt: 2, waitsForKillIds: [] });
const resume = (at: string, commandId = 'cmd-r1', actor = BACKOFF_ACTOR): ResumeResurrection => ({ type: 'ResumeResurrection', commandId, killId: 'demo-1', at, actor });

describe('a held-back resurrection', () => {
  it('waits for its backoff on a timer that fires ResumeResurrection when due', () => {
    expect(timersOf(fold(...approved, deferred))).toEqual([
      { timerId: 'demo-1/backoff/2026-02-11T12:00:10.000Z', killId: 'demo-1', dueAt: '2026-02-11T12:00:30.000Z', command: { type: 'ResumeResurrection', killId: 'demo-1', actor: BACKOFF_ACTOR } },
    ]);
  });

  it('is resumed when due, by whoever approved it', () => {
    expect(decide(resume('2026-02-11T12:00:30.000Z'), fold(...approved, deferred))).toEqual([
      { type: 'ResurrectionResumed', killId: 'demo-1', at: '2026-02-11T12:00:30.000Z', commandId: 'cmd-r1', approvedBy: 'policy:auto-approve', notBefore: '2026-02-11T12:00:30.000Z', resumedBy: BACKOFF_ACTOR, attempt: 0 },
    ]);
  });

  describe('waiting for the modules it depends on', () => {
    const waiting = sample('ResurrectionDeferred', { at: '2026-02-11T12:00:10.000Z', notBefore: '2026-02-11T12:00:15.000Z', attempt: 0, waitsForKillIds: ['db-kill-1'] });

    it('is resumed before its next look as soon as the executor says what it waited for is back', () => {
      expect(decide(resume('2026-02-11T12:00:11.500Z', 'cmd-d1', DEPENDENCIES_ACTOR), fold(...approved, waiting))).toEqual([
        { type: 'ResurrectionResumed', killId: 'demo-1', at: '2026-02-11T12:00:11.500Z', commandId: 'cmd-d1', approvedBy: 'policy:auto-approve', notBefore: '2026-02-11T12:00:15.000Z', resumedBy: DEPENDENCIES_ACTOR, attempt: 0 },
      ]);
    });

    it('is resumed once: the timer firing after the executor is refused, and so is the executor after the timer', () => {
      const early = decide(resume('2026-02-11T12:00:11.500Z', 'cmd-d1', DEPENDENCIES_ACTOR), fold(...approved, waiting));
      const [late] = answerCommand(resume('2026-02-11T12:00:15.000Z'), fold(...approved, waiting, ...early));
      expect(late).toMatchObject({ type: 'CommandRejected', commandType: 'ResumeResurrection', actor: BACKOFF_ACTOR, code: 'illegal_transition' });
      const timerFirst = decide(resume('2026-02-11T12:00:15.000Z'), fold(...approved, waiting));
      const [executorLate] = answerCommand(resume('2026-02-11T12:00:15.100Z', 'cmd-d2', DEPENDENCIES_ACTOR), fold(...approved, waiting, ...timerFirst));
      expect(executorLate).toMatchObject({ type: 'CommandRejected', actor: DEPENDENCIES_ACTOR, code: 'illegal_transition' });
    });

    it('keeps the kills it waits for in the state, and a backoff is not ended early by anyone', () => {
      expect(fold(...approved, waiting).deferral).toMatchObject({ waitsForKillIds: ['db-kill-1'], resumedAt: null });
      const [answer] = answerCommand(resume('2026-02-11T12:00:11.500Z', 'cmd-d1', DEPENDENCIES_ACTOR), fold(...approved, deferred));
      expect(answer).toMatchObject({ type: 'CommandRejected', code: 'backoff_not_due' });
    });

    it('is not ended early in a state folded before the kills waited for were kept', () => {
      const { waitsForKillIds: _dropped, ...older } = fold(...approved, waiting).deferral!;
      const state = { ...fold(...approved, waiting), deferral: older };
      const [answer] = answerCommand(resume('2026-02-11T12:00:11.500Z', 'cmd-d1', DEPENDENCIES_ACTOR), state);
      expect(answer).toMatchObject({ type: 'CommandRejected', code: 'backoff_not_due' });
    });
  });

  it.each([
    { name: 'before it is due', given: [...approved, deferred], at: '2026-02-11T12:00:29.999Z', code: 'backoff_not_due' },
    { name: 'a second time (the timer fired twice)', given: [...approved, deferred, sample('ResurrectionResumed')], at: '2026-02-11T12:00:31.000Z', code: 'illegal_transition' },
    { name: 'when it was never held back', given: approved, at: '2026-02-11T12:00:31.000Z', code: 'illegal_transition' },
    { name: 'once started', given: [...approved, deferred, sample('ResurrectionResumed'), sample('ResurrectionStarted')], at: '2026-02-11T12:00:31.000Z', code: 'illegal_transition' },
  ])('is refused $name, with CommandRejected', ({ given, at, code }) => {
    const [answer] = answerCommand(resume(at), fold(...given));
    expect(answer).toMatchObject({ type: 'CommandRejected', commandType: 'ResumeResurrection', actor: BACKOFF_ACTOR, code });
  });

  it('has no timer once resumed, and a new one when held back again', () => {
    const resumed = fold(...approved, deferred, sample('ResurrectionResumed'));
    expect(timersOf(resumed)).toEqual([]);
    const again = evolve(resumed, sample('ResurrectionDeferred', { at: '2026-02-11T12:00:31.000Z', notBefore: '2026-02-11T12:01:00.000Z' }));
    expect(timersOf(again).map((timer) => timer.dueAt)).toEqual(['2026-02-11T12:01:00.000Z']);
    expect(timersOf(evolve(again, sample('ResurrectionResumed', { at: '2026-02-11T12:01:00.000Z' })))).toEqual([]);
  });

  it('keeps the kill APPROVED until it is started', () => {
    const states = [fold(...approved, deferred), fold(...approved, deferred, sample('ResurrectionResumed'))];
    expect(states.map((s) => s.status)).toEqual(['APPROVED', 'APPROVED']);
    expect(evolve(states[1]!, sample('ResurrectionStarted')).status).toBe('EXECUTING');
  });
});

describe('the retry of a start the engine refused', () => {
  const started = sample('ResurrectionStarted', { at: '2026-02-11T12:00:01.000Z', attempt: 1 });
  const refused = sample('ResurrectionFailed', { at: '2026-02-11T12:00:02.000Z', attempt: 1, retriable: true, reason: 'port taken' });
  const failed = () => fold(...approved, started, refused);
  const retryResume = (at: string, commandId = 'cmd-t1') => resume(at, commandId, RETRY_ACTOR);

  it('waits for its attempt on the workflow\'s timer (2 s after the first refusal), not in the executor', () => {
    expect(failed()).toMatchObject({ status: 'FAILED', retry: { attempt: 2, refusedAt: '2026-02-11T12:00:02.000Z', notBefore: '2026-02-11T12:00:04.000Z', resumedAt: null } });
    expect(timersOf(failed())).toEqual([
      { timerId: 'demo-1/retry/2', killId: 'demo-1', dueAt: '2026-02-11T12:00:04.000Z', command: { type: 'ResumeResurrection', killId: 'demo-1', actor: RETRY_ACTOR } },
    ]);
  });

  it('is resumed once when due, naming the attempt; early or twice is refused', () => {
    const [early] = answerCommand(retryResume('2026-02-11T12:00:03.000Z'), failed());
    expect(early).toMatchObject({ type: 'CommandRejected', code: 'backoff_not_due' });
    const resumed = decide(retryResume('2026-02-11T12:00:04.000Z'), failed());
    expect(resumed).toEqual([
      { type: 'ResurrectionResumed', killId: 'demo-1', at: '2026-02-11T12:00:04.000Z', commandId: 'cmd-t1', approvedBy: 'policy:auto-approve', notBefore: '2026-02-11T12:00:04.000Z', resumedBy: RETRY_ACTOR, attempt: 2 },
    ]);
    const after = fold(...approved, started, refused, ...resumed);
    expect(after).toMatchObject({ status: 'FAILED', retry: { attempt: 2, resumedAt: '2026-02-11T12:00:04.000Z' } });
    expect(timersOf(after)).toEqual([]);
    const [twice] = answerCommand(retryResume('2026-02-11T12:00:05.000Z', 'cmd-t2'), after);
    expect(twice).toMatchObject({ type: 'CommandRejected', code: 'illegal_transition' });
    // Its attempt then starts, and a refusal of that one waits twice as long.
    const second = fold(...approved, started, refused, ...resumed, sample('ResurrectionStarted', { requestId: 'req-2', attempt: 2 }), sample('ResurrectionFailed', { requestId: 'req-2', at: '2026-02-11T12:00:06.000Z', attempt: 2, retriable: true }));
    expect(timersOf(second)).toMatchObject([{ timerId: 'demo-1/retry/3', dueAt: '2026-02-11T12:00:10.000Z' }]);
  });

  it('has no timer after a refusal with no attempts left, and no resumption then', () => {
    const last = fold(...approved, started, sample('ResurrectionFailed', { attempt: 1, retriable: false }));
    expect(timersOf(last)).toEqual([]);
    const [answer] = answerCommand(retryResume('2026-02-11T12:10:00.000Z'), last);
    expect(answer).toMatchObject({ type: 'CommandRejected', code: 'illegal_transition' });
    expect(() => evolve(last, sample('ResurrectionResumed', { attempt: 2, resumedBy: RETRY_ACTOR }))).toThrow(/no retry of a refused start is waiting/);
  });
});

describe('a kill of a quarantined module', () => {
  const QUARANTINE: ModuleQuarantine = {
    since: '2026-02-11T11:59:00.000Z',
    reKills: 3,
    reason: 'module nginx-test is quarantined since 2026-02-11T11:59:00.000Z: 3 re-kills since it was first seen, 3 of them within 24 hours; a human approves each resurrection until an admin releases it',
  };
  // A low-confidence info kill: auto-approved in semi_auto when the module is not quarantined.
  const harmless = { ...SAMPLE_EVENTS.KillReported, report: aReport({ confidenceScore: 0.1, severity: 'info' }) };
  const decideIn = (mode: Mode, quarantine: ModuleQuarantine | null, report = harmless): KillEvent[] => {
    return decide(decideCommand({ quarantine }, { mode }), evolve(null, report));
  };
  const outcomeOf = (events: KillEvent[]) => {
    const made = events.find((e) => e.type === 'DecisionMade');
    return made?.type === 'DecisionMade' ? `${made.decision.outcome}${made.decision.observeOnly ? ' (observe only)' : ''}` : 'none';
  };

  it.each([
    { mode: 'semi_auto', free: 'approve_auto', quarantined: 'pending_review' },
    { mode: 'full_auto', free: 'approve_auto', quarantined: 'pending_review' },
    { mode: 'manual', free: 'pending_review', quarantined: 'pending_review' },
    { mode: 'observer', free: 'approve_auto (observe only)', quarantined: 'pending_review (observe only)' },
  ] as const)('in $mode: $free when free, $quarantined when quarantined', ({ mode, free, quarantined }) => {
    expect(outcomeOf(decideIn(mode, null))).toBe(free);
    expect(outcomeOf(decideIn(mode, QUARANTINE))).toBe(quarantined);
  });

  it('asks a human, naming the quarantine and the re-kills, in the reasoning and the request', () => {
    const events = decideIn('semi_auto', QUARANTINE);
    expect(events.map((e) => e.type)).toEqual(['RiskAssessed', 'DecisionMade', 'ApprovalRequested']);
    const made = events[1]!;
    if (made.type !== 'DecisionMade') throw new Error('no decision');
    expect(made.decision.autoApproveEligible).toBe(false);
    expect(made.decision.reasoning).toContain(`Not eligible for auto-approval: ${QUARANTINE.reason}.`);
    expect(events[2]).toMatchObject({ type: 'ApprovalRequested', reason: QUARANTINE.reason });
  });

  it('asks a human in full_auto even when high risk would have been denied on its own', () => {
    const risky = { ...SAMPLE_EVENTS.KillReported, report: aReport({ confidenceScore: 0.85, severity: 'high', targetModule: 'report-cache' }) };
    expect(outcomeOf(decideIn('full_auto', null, risky))).toBe('deny');
    expect(outcomeOf(decideIn('full_auto', QUARANTINE, risky))).toBe('pending_review');
  });

  it('keeps the denials: blacklisted and critical modules stay down', () => {
    const blacklisted = { ...SAMPLE_EVENTS.KillReported, report: aReport({ confidenceScore: 0.1, severity: 'info', targetModule: 'evil-module' }) };
    const critical = { ...SAMPLE_EVENTS.KillReported, report: aReport({ confidenceScore: 0.99, severity: 'critical', killReason: 'threat_detected', targetModule: 'billing' }) };
    expect(outcomeOf(decideIn('semi_auto', QUARANTINE, blacklisted))).toBe('deny');
    expect(outcomeOf(decideIn('semi_auto', QUARANTINE, critical))).toBe('deny');
  });
});

describe('an automatic approval a quarantine overtook', () => {
  const review = (at = '2026-02-11T12:01:00.000Z', commandId = 'cmd-q1'): ReviewApproval => ({
    type: 'ReviewApproval',
    commandId,
    killId: 'demo-1',
    at,
    actor: 'executor:quarantine',
    reason: 'module nginx-test is quarantined since 2026-02-11T12:00:50.000Z; this kill was approved automatically before that was known, so a human approves it instead',
    queueItemId: 'item-q1',
    expiresAt: '2026-02-12T12:01:00.000Z',
  });

  it('goes back to PENDING as an item of the approval queue, the automatic approval withdrawn, with an expiry timer', () => {
    const events = decide(review(), fold(...approved));
    expect(events).toEqual([
      { type: 'ApprovalRequested', killId: 'demo-1', at: '2026-02-11T12:01:00.000Z', decisionId: 'dec-1', queueItemId: 'item-q1', expiresAt: '2026-02-12T12:01:00.000Z', reason: review().reason },
    ]);
    const state = fold(...approved, ...events);
    expect(state).toMatchObject({ status: 'PENDING', approvedBy: null, approval: { queueItemId: 'item-q1', expiresAt: '2026-02-12T12:01:00.000Z' } });
    expect(state.history.map((h) => h.status)).toEqual(['PENDING', 'APPROVED', 'PENDING']);
    expect(timersOf(state)).toMatchObject([{ dueAt: '2026-02-12T12:01:00.000Z', command: { type: 'ExpireApproval' } }]);
    // A human's approval brings it back, by that human.
    const granted = decide({ type: 'GrantApproval', commandId: 'cmd-g1', killId: 'demo-1', at: '2026-02-11T12:05:00.000Z', approver: 'ops', notes: null }, state);
    expect(fold(...approved, ...events, ...granted)).toMatchObject({ status: 'APPROVED', approvedBy: 'ops' });
  });

  it('held back for a backoff before that: the deferral is over with it', () => {
    const held = fold(...approved, deferred);
    const state = fold(...approved, deferred, ...decide(review(), held));
    expect(state.deferral).toBeNull();
    expect(timersOf(state).map((t) => t.command.type)).toEqual(['ExpireApproval']);
  });

  it('is refused once a human approved it, once its start was written, and a second time', () => {
    const [second] = answerCommand(review('2026-02-11T12:02:00.000Z', 'cmd-q2'), fold(...approved, ...decide(review(), fold(...approved))));
    expect(second).toMatchObject({ type: 'CommandRejected', code: 'illegal_transition', actor: 'executor:quarantine', reason: expect.stringContaining('it is PENDING') });
    const started = fold(...approved, sample('ResurrectionStarted', { attempt: 1 }));
    expect(answerCommand(review(), started)[0]).toMatchObject({ type: 'CommandRejected', reason: expect.stringContaining('it is EXECUTING') });
    const byHuman = fold(SAMPLE_EVENTS.KillReported, sample('DecisionMade', { decision: aDecision('pending_review') }), SAMPLE_EVENTS.ApprovalRequested, sample('ApprovalGranted', { approver: 'ops' }));
    expect(answerCommand(review(), byHuman)[0]).toMatchObject({ type: 'CommandRejected', reason: expect.stringContaining('approved by ops, not automatically') });
    // Nor can the log say otherwise: a request for a human on a started kill is illegal.
    expect(() => evolve(fold(...approved, sample('ResurrectionStarted', { attempt: 1 })), SAMPLE_EVENTS.ApprovalRequested)).toThrow(/cannot happen in EXECUTING/);
  });
});
