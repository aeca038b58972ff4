import {
  answerCommand,
  APPROVAL_EXPIRY_ACTOR,
  ENRICHMENT_DEADLINE_ACTOR,
  decide,
  timersOf,
  evolve,
  initialState,
  type DecideResurrection,
  type KillCommand,
  type KillEvent,
  type KillState,
  type PolicySettings,
} from '@medic/domain';
import { aReport, decideCommand, thrownBy } from '../../test/domain-fixtures';
import { SAMPLE_EVENTS } from '../../test/kill-event-samples';

/* The kill workflow's decider, as Given events / When command / Then events. */

const AT = '2026-02-11T12:00:05.000Z';

function given(...events: KillEvent[]) {
  const state = events.reduce<KillState | null>((s, e) => evolve(s, e), initialState());
  return {
    when: (command: KillCommand) => ({
      then: (expected: unknown) => expect(decide(command, state)).toEqual(expected),
      thenRejects: (code: string) => expect(thrownBy(() => decide(command, state))).toMatchObject({ code }),
      events: () => decide(command, state),
    }),
  };
}

const reportKill: KillCommand = {
  type: 'ReportKill',
  report: aReport(),
  correlationId: 'corr-1',
  replyTo: 'medic.responses',
  source: { topic: 'smith.events.kill_notifications', partition: 0, offset: '42' },
  at: '2026-02-11T12:00:01.000Z',
  signedBy: 'smith-1',
  smithVersion: '1.2',
  ignoredFields: ['priority', 'payload.blast_radius'],
};

const decideWith = (changes: Partial<DecideResurrection> = {}, policy: Partial<PolicySettings> = {}): DecideResurrection => decideCommand({ at: AT, ...changes }, policy);

// A low-confidence info kill the SIEM calls harmless, no outcomes yet (the history is out of the model):
// likelihood (0.3×0.1 + 0.25×0.1) / 0.55 = 0.1; impact (0.15×0.2 + 0.1×0) / 0.25 = 0.12;
// score 0.1 × 1.12 / 2 = 0.056, 0.344 from the auto-approve boundary 0.4: certainty 1.
const harmlessKill = { ...SAMPLE_EVENTS.KillReported, report: aReport({ confidenceScore: 0.1, severity: 'info' }) };
const harmlessSiem = { siem: { riskScore: 0.1, falsePositiveHistory: 0 }, siemStatus: 'used' as const };

const pendingApproval: KillEvent[] = (() => {
  const events = decide(decideWith({}, { mode: 'manual' }), evolve(null, SAMPLE_EVENTS.KillReported));
  return [SAMPLE_EVENTS.KillReported, ...events];
})();

describe('ReportKill', () => {
  it('reports a new kill', () => {
    given().when(reportKill).then([SAMPLE_EVENTS.KillReported]);
  });

  it('processes a repeated kill_id once', () => {
    given(SAMPLE_EVENTS.KillReported).when(reportKill).then([]);
  });
});

describe('DecideResurrection', () => {
  it('auto-approves a low-risk kill in semi-auto mode', () => {
    const events = given(harmlessKill).when(decideWith(harmlessSiem)).events();
    expect(events.map((e) => e.type)).toEqual(['RiskAssessed', 'DecisionMade']);
    expect(events[0]).toMatchObject({ killId: 'demo-1', at: AT, assessment: { score: 0.056, level: 'minimal', coverage: 1, likelihood: 0.1, impact: 0.12 } });
    expect(events[1]).toMatchObject({
      targetModule: 'nginx-test',
      decision: { decisionId: 'dec-1', killId: 'demo-1', timestamp: AT, outcome: 'approve_auto', confidence: 1, mode: 'semi_auto', siemStatus: 'used' },
    });
  });

  it("auto-approves the reboot plan's demo kill with no SIEM configured and no history", () => {
    // likelihood 0.4; impact (0.15×0.2 + 0.1×0.25) / 0.25 = 0.22; score 0.4 × 1.22 / 2 = 0.244 (low), 0.156 from 0.4.
    const events = given(SAMPLE_EVENTS.KillReported).when(decideWith()).events();
    expect(events[0]).toMatchObject({ assessment: { score: 0.244, level: 'low', coverage: 1 } });
    expect(events[1]).toMatchObject({ decision: { outcome: 'approve_auto', confidence: 1 } });
  });

  it('asks a human when the SIEM did not answer, with an expiry after approval_timeout_hours', () => {
    // The SIEM's 0.25 counts as missing: coverage 0.55 / 0.8 = 0.6875 caps the confidence.
    const events = given(SAMPLE_EVENTS.KillReported).when(decideWith({ siemStatus: 'unavailable' })).events();
    expect(events.map((e) => e.type)).toEqual(['RiskAssessed', 'DecisionMade', 'ApprovalRequested']);
    expect(events[1]).toMatchObject({ decision: { outcome: 'pending_review', confidence: 0.6875, requiresHumanReview: true } });
    expect(events[2]).toEqual({
      type: 'ApprovalRequested',
      killId: 'demo-1',
      at: AT,
      decisionId: 'dec-1',
      queueItemId: 'q-item-1',
      expiresAt: '2026-02-12T12:00:05.000Z',
      reason: 'decision confidence 0.6875 is below the auto-approve minimum 0.85; the SIEM was unavailable, so the decision is degraded',
    });
  });

  it('in manual mode asks a human even for an eligible kill, and says why', () => {
    const events = given(harmlessKill).when(decideWith(harmlessSiem, { mode: 'manual' })).events();
    expect(events[2]).toMatchObject({ type: 'ApprovalRequested', reason: 'manual mode: a human approves every resurrection' });
  });

  it('in manual mode names the mode as the reason, what would bar auto-approval only as context', () => {
    const events = given(SAMPLE_EVENTS.KillReported).when(decideWith({ siemStatus: 'unavailable' }, { mode: 'manual' })).events();
    expect(events[2]).toMatchObject({
      type: 'ApprovalRequested',
      reason:
        'manual mode: a human approves every resurrection (auto-approval would also be barred: decision confidence 0.6875 is below the auto-approve minimum 0.85; the SIEM was unavailable, so the decision is degraded)',
    });
  });

  it('in observer mode records the verdict and asks no one', () => {
    const events = given(harmlessKill).when(decideWith(harmlessSiem, { mode: 'observer' })).events();
    expect(events.map((e) => e.type)).toEqual(['RiskAssessed', 'DecisionMade']);
    expect(events[1]).toMatchObject({ decision: { outcome: 'approve_auto', observeOnly: true, requiresHumanReview: false } });
    const state = [harmlessKill, ...events].reduce<KillState | null>((s, e) => evolve(s, e), null);
    expect(state?.status).toBe('PENDING');
  });

  it('denies a blacklisted module', () => {
    const blacklisted = { ...SAMPLE_EVENTS.KillReported, report: aReport({ targetModule: 'evil-module' }) };
    const events = given(blacklisted).when(decideWith()).events();
    expect(events.map((e) => e.type)).toEqual(['RiskAssessed', 'DecisionMade']);
    expect(events[1]).toMatchObject({ decision: { outcome: 'deny', recommendedAction: 'keep module evil-module down' } });
  });

  it('decides a kill only once', () => {
    given(...pendingApproval).when(decideWith()).thenRejects('illegal_transition');
  });

  it('refuses a kill that was never reported', () => {
    given().when(decideWith()).thenRejects('illegal_transition');
  });

  it('refuses a kill that has already left PENDING', () => {
    given(...pendingApproval, SAMPLE_EVENTS.ApprovalDenied).when(decideWith()).thenRejects('illegal_transition');
  });

  it('refuses the state of another kill', () => {
    given(SAMPLE_EVENTS.KillReported).when(decideWith({ killId: 'other' })).thenRejects('kill_mismatch');
  });
});

describe('approvals', () => {
  const grant: KillCommand = { type: 'GrantApproval', commandId: 'cmd-g', killId: 'demo-1', at: '2026-02-11T13:00:00.000Z', approver: 'alice', notes: 'known false positive' };
  const deny: KillCommand = { type: 'DenyApproval', commandId: 'cmd-d', killId: 'demo-1', at: '2026-02-11T13:00:00.000Z', denier: 'bob', reason: 'still hostile' };
  const expire = (at: string): KillCommand => ({ type: 'ExpireApproval', commandId: 'cmd-e', killId: 'demo-1', at, actor: 'timer:approval-expiry' });

  it('grants a pending approval', () => {
    given(...pendingApproval)
      .when(grant)
      .then([{ type: 'ApprovalGranted', killId: 'demo-1', at: '2026-02-11T13:00:00.000Z', decisionId: 'dec-1', approver: 'alice', notes: 'known false positive', commandId: 'cmd-g' }]);
  });

  it('denies a pending approval', () => {
    given(...pendingApproval)
      .when(deny)
      .then([{ type: 'ApprovalDenied', killId: 'demo-1', at: '2026-02-11T13:00:00.000Z', decisionId: 'dec-1', denier: 'bob', reason: 'still hostile', commandId: 'cmd-d' }]);
  });

  it('expires an approval once it is due', () => {
    given(...pendingApproval)
      .when(expire('2026-02-12T12:00:05.000Z'))
      .then([{ type: 'ApprovalExpired', killId: 'demo-1', at: '2026-02-12T12:00:05.000Z', decisionId: 'dec-1', commandId: 'cmd-e' }]);
  });

  it('does not expire an approval early', () => {
    given(...pendingApproval).when(expire('2026-02-12T12:00:04.999Z')).thenRejects('approval_not_expired');
  });

  it('refuses an answer that comes after the expiry', () => {
    given(...pendingApproval)
      .when({ ...grant, at: '2026-02-12T12:00:05.000Z' })
      .thenRejects('approval_expired');
  });

  it.each([
    ['no approval was requested', [SAMPLE_EVENTS.KillReported]],
    ['the approval was already granted', [...pendingApproval, SAMPLE_EVENTS.ApprovalGranted]],
    ['the approval already expired', [...pendingApproval, SAMPLE_EVENTS.ApprovalExpired]],
  ])('refuses every approval command when %s', (_, history) => {
    for (const command of [grant, deny, expire('2026-02-13T00:00:00.000Z')]) {
      given(...history).when(command).thenRejects('illegal_transition');
    }
  });

  it('refuses approval commands for a kill never reported', () => {
    given().when(grant).thenRejects('illegal_transition');
  });
});

describe('answering commands from the log', () => {
  const grant = { type: 'GrantApproval', commandId: 'cmd-9', killId: 'demo-1', at: '2026-02-11T13:00:00.000Z', approver: 'alice', notes: null } as const;

  it('answers an allowed command with its events, which name the command', () => {
    const state = pendingApproval.reduce<KillState | null>((s, e) => evolve(s, e), null);
    expect(answerCommand(grant, state)).toEqual([expect.objectContaining({ type: 'ApprovalGranted', commandId: 'cmd-9', approver: 'alice' })]);
  });

  it('answers a command the state does not allow with CommandRejected and the reason', () => {
    const denied = [...pendingApproval, SAMPLE_EVENTS.ApprovalDenied].reduce<KillState | null>((s, e) => evolve(s, e), null);
    expect(answerCommand(grant, denied)).toEqual([
      {
        type: 'CommandRejected',
        killId: 'demo-1',
        at: '2026-02-11T13:00:00.000Z',
        commandId: 'cmd-9',
        commandType: 'GrantApproval',
        actor: 'alice',
        code: 'illegal_transition',
        reason: 'GrantApproval rejected for kill demo-1: it is DENIED',
      },
    ]);
    expect(answerCommand({ ...grant, killId: 'nobody' }, null)).toEqual([expect.objectContaining({ type: 'CommandRejected', code: 'illegal_transition' })]);
  });

  it('leaves the kill unchanged by a rejection', () => {
    const state = pendingApproval.reduce<KillState | null>((s, e) => evolve(s, e), null);
    expect(evolve(state, SAMPLE_EVENTS.CommandRejected)).toBe(state);
  });
});

describe('timers', () => {
  it('a pending approval waits for its expiry; an answered one waits for nothing', () => {
    const pending = pendingApproval.reduce<KillState | null>((s, e) => evolve(s, e), null)!;
    expect(timersOf(pending)).toEqual([
      { timerId: 'demo-1/approval-expiry/q-item-1', killId: 'demo-1', dueAt: '2026-02-12T12:00:05.000Z', command: { type: 'ExpireApproval', killId: 'demo-1', actor: APPROVAL_EXPIRY_ACTOR } },
    ]);
    expect(timersOf(evolve(pending, SAMPLE_EVENTS.ApprovalGranted))).toEqual([]);
    expect(timersOf(evolve(pending, SAMPLE_EVENTS.ApprovalExpired))).toEqual([]);
    expect(timersOf(evolve(null, SAMPLE_EVENTS.KillReported))).toEqual([]);
  });
});

const SIEM_DEADLINE = SAMPLE_EVENTS.EnrichmentRequested.deadline;

// A kill waits for its context as its report says (taken in with a SIEM configured), or as the workflow asked after a report without.
describe.each([
  ['the report carries the deadline', [{ ...SAMPLE_EVENTS.KillReported, enrichmentDeadline: SIEM_DEADLINE }]],
  ['the workflow requested it', [SAMPLE_EVENTS.KillReported, SAMPLE_EVENTS.EnrichmentRequested]],
] as const)('waiting for the SIEM (%s)', (_how, awaiting: readonly KillEvent[]) => {
  const DEADLINE = SIEM_DEADLINE;
  const expire = (at: string): KillCommand => ({ type: 'ExpireEnrichment', commandId: 'cmd-x', killId: 'demo-1', at, actor: ENRICHMENT_DEADLINE_ACTOR });
  const indicator = (value: string, threatScore: number) => ({ indicatorType: 'ip', value, threatScore, source: 'intel', lastSeen: '2026-02-11T11:00:00.000Z', tags: [] });
  const enriched: KillEvent = {
    ...SAMPLE_EVENTS.ContextEnriched,
    riskScore: 0.9,
    threatIndicators: [indicator('10.0.0.1', 0.2), indicator('10.0.0.9', 0.95), indicator('10.0.0.5', 0.6), indicator('10.0.0.7', 0.7)],
  };

  it('does not decide before the context or the deadline, and waits on a timer for the deadline', () => {
    given(...awaiting).when(decideWith()).thenRejects('illegal_transition');
    const state = awaiting.reduce<KillState | null>((s, e) => evolve(s, e), null)!;
    expect(timersOf(state)).toEqual([
      { timerId: 'demo-1/enrichment-deadline', killId: 'demo-1', dueAt: DEADLINE, command: { type: 'ExpireEnrichment', killId: 'demo-1', actor: ENRICHMENT_DEADLINE_ACTOR } },
    ]);
    expect(timersOf(evolve(state, enriched))).toEqual([]);
  });

  it('decides with the context once it is in, naming the indicators that weighed most', () => {
    const events = given(...awaiting, enriched).when(decideWith({ siem: { riskScore: 0.9, falsePositiveHistory: 0, indicators: ['ip 10.0.0.9 (0.95, intel)'] }, siemStatus: 'used' })).events();
    const made = events.find((e) => e.type === 'DecisionMade');
    expect(made?.type === 'DecisionMade' && made.decision.reasoning[1]).toBe('SIEM context was used; the indicators that weighed most: ip 10.0.0.9 (0.95, intel).');
    const state = [...awaiting, enriched].reduce<KillState | null>((s, e) => evolve(s, e), null)!;
    expect(state.enrichment?.indicators).toEqual(['ip 10.0.0.9 (0.95, intel)', 'ip 10.0.0.7 (0.7, intel)', 'ip 10.0.0.5 (0.6, intel)']);
  });

  it('records the SIEM as unavailable at the deadline, not before, and only while it waits', () => {
    given(...awaiting).when(expire('2026-02-11T12:00:39.999Z')).thenRejects('enrichment_not_due');
    const [degraded] = given(...awaiting).when(expire(DEADLINE)).events();
    expect(degraded).toMatchObject({ type: 'ContextEnriched', siemStatus: 'unavailable', queryId: 'cmd-x', failureReason: `no SIEM context by the deadline ${DEADLINE}` });
    given(...awaiting, enriched).when(expire(DEADLINE)).thenRejects('illegal_transition');
    given(SAMPLE_EVENTS.KillReported).when(expire(DEADLINE)).thenRejects('illegal_transition');
  });

  it('keeps the first context: a late answer changes nothing the decision stood on', () => {
    const [degraded] = given(...awaiting).when(expire(DEADLINE)).events();
    const state = [...awaiting, degraded!, enriched].reduce<KillState | null>((s, e) => evolve(s, e), null)!;
    expect(state.enrichment).toMatchObject({ siemStatus: 'unavailable' });
  });
});

describe('RequestRollback', () => {
  const running = [SAMPLE_EVENTS.KillReported, { ...SAMPLE_EVENTS.DecisionMade, decision: { ...SAMPLE_EVENTS.DecisionMade.decision, outcome: 'approve_auto' as const } }, SAMPLE_EVENTS.ResurrectionStarted, SAMPLE_EVENTS.ResurrectionSucceeded];
  const rollback: KillCommand = { type: 'RequestRollback', commandId: 'cmd-rb', killId: 'demo-1', at: '2026-02-11T12:10:00.000Z', actor: 'ops-console', reason: 'errors in the logs' };
  const requested = { type: 'RollbackRequested', killId: 'demo-1', at: '2026-02-11T12:10:00.000Z', requestId: 'req-1', actor: 'ops-console', reason: 'errors in the logs', commandId: 'cmd-rb' };

  it.each([
    ['MONITORING', []],
    ['STABLE', [SAMPLE_EVENTS.StabilityConfirmed]],
    ['ANOMALY_DETECTED', [SAMPLE_EVENTS.AnomalyDetected]],
  ] as const)('is accepted in %s, naming the resurrection and the operator', (_status, more) => {
    given(...running, ...more).when(rollback).then([requested]);
  });

  it('is refused before the module is up, once rolling back, and once the outcome is recorded', () => {
    given(SAMPLE_EVENTS.KillReported).when(rollback).thenRejects('illegal_transition');
    given(...running.slice(0, 3)).when(rollback).thenRejects('illegal_transition');
    given(...running, SAMPLE_EVENTS.AnomalyDetected, SAMPLE_EVENTS.RollbackStarted).when(rollback).thenRejects('illegal_transition');
    given(...running, { ...SAMPLE_EVENTS.OutcomeRecorded, result: 're_killed' }).when(rollback).thenRejects('illegal_transition');
    given(...running, SAMPLE_EVENTS.StabilityConfirmed, SAMPLE_EVENTS.OutcomeRecorded).when(rollback).thenRejects('illegal_transition');
    given().when(rollback).thenRejects('illegal_transition');
  });

  it('is refused a second time while the first request is pending, with who asked', () => {
    const state = [...running, SAMPLE_EVENTS.RollbackRequested].reduce<KillState | null>((s, e) => evolve(s, e), null);
    expect(answerCommand(rollback, state)).toEqual([
      expect.objectContaining({ type: 'CommandRejected', commandType: 'RequestRollback', actor: 'ops-console', code: 'rollback_already_requested', reason: expect.stringMatching(/already requested by ops-console/) as unknown }),
    ]);
  });
});
