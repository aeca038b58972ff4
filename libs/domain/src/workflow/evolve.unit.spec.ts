import {
  AUTO_APPROVER,
  canTransition,
  evolve,
  initialState,
  isTerminal,
  TRANSITIONS,
  WORKFLOW_STATUSES,
  type KillEvent,
  type KillEventType,
  type KillState,
  type WorkflowStatus,
} from '@medic/domain';
import { thrownBy } from '../../test/domain-fixtures';
import { aDecision, sample, SAMPLE_EVENTS } from '../../test/kill-event-samples';

/*
 * Every event in every status: the legal ones move the kill where the brief
 * says, the others are rejected. The expectations are written out here, not
 * read from the implementation, and checked against the TRANSITIONS table.
 */

interface Move {
  readonly label: string;
  readonly event: KillEvent;
  readonly from: readonly WorkflowStatus[];
  readonly to: (from: WorkflowStatus) => WorkflowStatus;
}

const same = (from: WorkflowStatus): WorkflowStatus => from;
const to = (status: WorkflowStatus) => (): WorkflowStatus => status;

const MOVES: readonly Move[] = [
  // The SIEM may answer late: its context is kept in any status.
  { label: 'ContextEnriched', event: sample('ContextEnriched'), from: WORKFLOW_STATUSES, to: same },
  { label: 'EnrichmentRequested', event: sample('EnrichmentRequested'), from: ['PENDING'], to: same },
  { label: 'RiskAssessed', event: sample('RiskAssessed'), from: ['PENDING'], to: same },
  { label: 'DecisionMade(pending_review)', event: sample('DecisionMade'), from: ['PENDING'], to: same },
  { label: 'DecisionMade(approve_auto)', event: sample('DecisionMade', { decision: aDecision('approve_auto') }), from: ['PENDING'], to: to('APPROVED') },
  {
    label: 'DecisionMade(approve_auto, observe only)',
    event: sample('DecisionMade', { decision: aDecision('approve_auto', true) }),
    from: ['PENDING'],
    to: same,
  },
  { label: 'DecisionMade(deny)', event: sample('DecisionMade', { decision: aDecision('deny') }), from: ['PENDING'], to: to('DENIED') },
  { label: 'ApprovalRequested', event: sample('ApprovalRequested'), from: ['PENDING'], to: same },
  { label: 'ApprovalGranted', event: sample('ApprovalGranted'), from: ['PENDING'], to: to('APPROVED') },
  { label: 'ApprovalDenied', event: sample('ApprovalDenied'), from: ['PENDING'], to: to('DENIED') },
  { label: 'ApprovalExpired', event: sample('ApprovalExpired'), from: ['PENDING'], to: to('EXPIRED') },
  { label: 'VetoRequested', event: sample('VetoRequested'), from: ['APPROVED'], to: same },
  { label: 'VetoCleared', event: sample('VetoCleared'), from: ['APPROVED'], to: same },
  { label: 'VetoDeferred', event: sample('VetoDeferred'), from: ['APPROVED'], to: same },
  { label: 'ResurrectionVetoed', event: sample('ResurrectionVetoed'), from: ['APPROVED'], to: to('VETOED') },
  { label: 'ResurrectionStarted', event: sample('ResurrectionStarted'), from: ['APPROVED', 'FAILED'], to: to('EXECUTING') },
  { label: 'ResurrectionSucceeded', event: sample('ResurrectionSucceeded'), from: ['EXECUTING'], to: to('MONITORING') },
  { label: 'ResurrectionFailed', event: sample('ResurrectionFailed'), from: ['APPROVED', 'EXECUTING'], to: to('FAILED') },
  { label: 'StabilityConfirmed', event: sample('StabilityConfirmed'), from: ['MONITORING'], to: to('STABLE') },
  { label: 'AnomalyDetected', event: sample('AnomalyDetected'), from: ['MONITORING'], to: to('ANOMALY_DETECTED') },
  { label: 'AnomalyCleared', event: sample('AnomalyCleared'), from: ['ANOMALY_DETECTED'], to: to('STABLE') },
  // An operator may undo a resurrection that is watched, stable or anomalous; the policy only an anomalous one.
  { label: 'RollbackRequested', event: sample('RollbackRequested'), from: ['MONITORING', 'STABLE', 'ANOMALY_DETECTED'], to: same },
  { label: 'RollbackStarted', event: sample('RollbackStarted'), from: ['MONITORING', 'STABLE', 'ANOMALY_DETECTED'], to: to('ROLLING_BACK') },
  { label: 'RollbackCompleted', event: sample('RollbackCompleted'), from: ['ROLLING_BACK'], to: to('ROLLED_BACK') },
  { label: 'RollbackFailed', event: sample('RollbackFailed'), from: ['ROLLING_BACK'], to: to('FAILED') },
  {
    label: 'OutcomeRecorded',
    event: sample('OutcomeRecorded'),
    from: ['MONITORING', 'STABLE', 'ANOMALY_DETECTED', 'ROLLING_BACK', 'FAILED', 'ROLLED_BACK'],
    to: (from) => (from === 'STABLE' ? 'COMPLETED' : from),
  },
  // A backoff holds an approved resurrection back, and lets it go, without a status change.
  { label: 'ResurrectionDeferred', event: sample('ResurrectionDeferred'), from: ['APPROVED'], to: same },
  { label: 'ResurrectionResumed', event: sample('ResurrectionResumed'), from: ['APPROVED'], to: same },
];

const reported = evolve(initialState(), SAMPLE_EVENTS.KillReported);
// With a notice waiting for Smith's answer, so that Smith's verdicts on it may apply.
const stateIn = (status: WorkflowStatus): KillState => ({ ...reported, status, vetoRequestId: 'req-1' });

const matrix = MOVES.flatMap((move) => WORKFLOW_STATUSES.map((status) => ({ ...move, status, legal: move.from.includes(status) })));

describe('evolve: every event in every status', () => {
  it('covers every event type but KillReported, and CommandRejected and HealthChecked (which change no kill)', () => {
    const covered = new Set(MOVES.map((m) => m.event.type));
    const all = Object.keys(SAMPLE_EVENTS) as KillEventType[];
    expect(all.filter((type) => !covered.has(type)).sort()).toEqual(['CommandRejected', 'HealthChecked', 'KillReported']);
  });

  it.each(WORKFLOW_STATUSES)('HealthChecked in %s leaves the kill exactly as it was', (status) => {
    const state = stateIn(status);
    expect(evolve(state, SAMPLE_EVENTS.HealthChecked)).toBe(state);
  });

  it.each(matrix)('$label in $status: legal=$legal', ({ event, status, legal, to: target }) => {
    if (legal) {
      expect(evolve(stateIn(status), event).status).toBe(target(status));
    } else {
      expect(thrownBy(() => evolve(stateIn(status), event))).toMatchObject({ code: 'illegal_transition' });
    }
  });

  it.each(WORKFLOW_STATUSES)('rejects a second KillReported in %s', (status) => {
    expect(thrownBy(() => evolve(stateIn(status), SAMPLE_EVENTS.KillReported))).toMatchObject({ code: 'illegal_transition' });
  });

  it.each(MOVES.map((m) => m.label))('rejects %s before the kill was reported', (label) => {
    const move = MOVES.find((m) => m.label === label)!;
    expect(thrownBy(() => evolve(initialState(), move.event))).toMatchObject({ code: 'illegal_transition' });
  });
});

/**
 * An automatic approval a quarantine overtook goes to a human (APPROVED → PENDING) only when nothing was started
 * and no notice to Smith is open, a state the matrix above does not make: its own case.
 */
const overtaken: KillState = { ...reported, status: 'APPROVED', decision: aDecision('approve_auto'), approvedBy: AUTO_APPROVER, vetoRequestId: null };

describe('ApprovalRequested on an APPROVED kill', () => {
  it('sends an automatic approval nothing was started for to a human', () => {
    expect(evolve(overtaken, SAMPLE_EVENTS.ApprovalRequested)).toMatchObject({ status: 'PENDING', approvedBy: null });
  });

  it.each([
    ['approved by a human', { approvedBy: 'ops' }],
    ['with an attempt made', { attempts: 1 }],
    ["with Smith's answer awaited", { vetoRequestId: 'req-1' }],
  ] as const)('is illegal %s', (_, facts) => {
    expect(thrownBy(() => evolve({ ...overtaken, ...facts }, SAMPLE_EVENTS.ApprovalRequested))).toMatchObject({ code: 'illegal_transition' });
  });
});

describe('TRANSITIONS', () => {
  const moves = matrix.filter((m) => m.legal).map((m) => ({ from: m.status, to: m.to(m.status), label: m.label }));
  const changes = [...moves.filter((m) => m.from !== m.to), { from: 'APPROVED' as const, to: 'PENDING' as const, label: 'ApprovalRequested (an automatic approval a quarantine overtook)' }];

  it.each(changes)('allows $from → $to ($label)', ({ from, to: target }) => {
    expect(canTransition(from, target)).toBe(true);
  });

  it('has no edge that no event takes', () => {
    const taken = new Set(changes.map((m) => `${m.from}→${m.to}`));
    const edges = WORKFLOW_STATUSES.flatMap((from) => TRANSITIONS[from].map((target) => `${from}→${target}`));
    expect(edges.filter((edge) => !taken.has(edge))).toEqual([]);
  });

  it('refuses everything else', () => {
    for (const from of WORKFLOW_STATUSES) {
      for (const target of WORKFLOW_STATUSES) {
        expect(canTransition(from, target)).toBe(changes.some((m) => m.from === from && m.to === target));
      }
    }
  });

  it('ends in COMPLETED, DENIED, EXPIRED, VETOED and ROLLED_BACK', () => {
    expect(WORKFLOW_STATUSES.filter(isTerminal)).toEqual(['COMPLETED', 'DENIED', 'EXPIRED', 'VETOED', 'ROLLED_BACK']);
  });
});

describe('evolve: what the state remembers', () => {
  const fold = (...events: KillEvent[]) => events.reduce<KillState | null>((state, event) => evolve(state, event), initialState());

  it('starts PENDING from the report', () => {
    expect(reported).toMatchObject({
      killId: 'demo-1',
      status: 'PENDING',
      targetModule: 'nginx-test',
      correlationId: 'corr-1',
      replyTo: 'medic.responses',
      risk: null,
      decision: null,
      approval: null,
      attempts: 0,
      outcome: null,
      history: [{ status: 'PENDING', at: '2026-02-11T12:00:01.000Z', event: 'KillReported' }],
    });
  });

  it('follows a kill through approval, a failed and a retried attempt, to COMPLETED', () => {
    const state = fold(
      SAMPLE_EVENTS.KillReported,
      SAMPLE_EVENTS.ContextEnriched,
      SAMPLE_EVENTS.RiskAssessed,
      SAMPLE_EVENTS.DecisionMade,
      SAMPLE_EVENTS.ApprovalRequested,
      sample('ApprovalGranted', { at: '2026-02-11T12:05:00.000Z' }),
      SAMPLE_EVENTS.ResurrectionStarted,
      SAMPLE_EVENTS.ResurrectionFailed,
      sample('ResurrectionStarted', { requestId: 'req-2', attempt: 2 }),
      SAMPLE_EVENTS.ResurrectionSucceeded,
      SAMPLE_EVENTS.StabilityConfirmed,
      sample('OutcomeRecorded', { at: '2026-02-11T12:40:00.000Z' }),
    );
    expect(state).toMatchObject({
      status: 'COMPLETED',
      enrichment: { siemStatus: 'used', riskScore: 0.2, falsePositiveHistory: 1 },
      risk: { score: 0.3 },
      decision: { decisionId: 'dec-1', outcome: 'pending_review' },
      approval: { queueItemId: 'q-item-1', expiresAt: '2026-02-12T12:00:10.000Z' },
      approvedBy: 'alice',
      requestId: 'req-2',
      attempts: 2,
      lastEventAt: '2026-02-11T12:40:00.000Z',
      outcome: { outcomeId: 'out-1', result: 'success', recordedAt: '2026-02-11T12:40:00.000Z' },
    });
    expect(state?.history.map((h) => h.status)).toEqual(['PENDING', 'APPROVED', 'EXECUTING', 'FAILED', 'EXECUTING', 'MONITORING', 'STABLE', 'COMPLETED']);
  });

  it('names the policy as approver of an auto-approval', () => {
    expect(fold(SAMPLE_EVENTS.KillReported, sample('DecisionMade', { decision: aDecision('approve_auto') }))?.approvedBy).toBe('policy:auto-approve');
  });

  it('closes the kill once its outcome is recorded', () => {
    const failed = fold(SAMPLE_EVENTS.KillReported, sample('DecisionMade', { decision: aDecision('approve_auto') }), SAMPLE_EVENTS.ResurrectionFailed);
    const closed = evolve(failed, sample('OutcomeRecorded', { result: 'failure' }));
    expect(closed).toMatchObject({ status: 'FAILED', outcome: { result: 'failure' } });
    expect(thrownBy(() => evolve(closed, SAMPLE_EVENTS.ResurrectionStarted))).toMatchObject({ code: 'illegal_transition' });
    expect(thrownBy(() => evolve(closed, SAMPLE_EVENTS.OutcomeRecorded))).toMatchObject({ code: 'illegal_transition' });
  });

  it('closes a refused start with a retry not made (no attempt), and nothing else from FAILED', () => {
    const approved = [SAMPLE_EVENTS.KillReported, sample('DecisionMade', { decision: aDecision('approve_auto') })] as const;
    const refused = fold(...approved, SAMPLE_EVENTS.ResurrectionStarted, SAMPLE_EVENTS.ResurrectionFailed);
    expect(refused).toMatchObject({ status: 'FAILED', attempts: 1 });
    const notMade = sample('ResurrectionFailed', { requestId: 'req-2', retriable: false, attempt: null, reason: 'too late' });
    expect(evolve(refused, notMade)).toMatchObject({ status: 'FAILED', attempts: 1 });
    // The next attempt refused before its start was written counts as made; any other attempt's failure with no start before it, or a kill refused before any attempt: still illegal.
    expect(evolve(refused, sample('ResurrectionFailed', { requestId: 'req-2', attempt: 2 }))).toMatchObject({ status: 'FAILED', attempts: 2 });
    expect(thrownBy(() => evolve(refused, sample('ResurrectionFailed', { attempt: 3 })))).toMatchObject({ code: 'illegal_transition' });
    const refusedAtApproval = fold(...approved, notMade);
    expect(refusedAtApproval).toMatchObject({ status: 'FAILED', attempts: 0 });
    expect(thrownBy(() => evolve(refusedAtApproval, notMade))).toMatchObject({ code: 'illegal_transition' });
  });

  it('counts an attempt refused before its start was written (the engine failed to describe the container), and its retry after it', () => {
    const approved = fold(SAMPLE_EVENTS.KillReported, sample('DecisionMade', { decision: aDecision('approve_auto') }));
    const refused = evolve(approved, sample('ResurrectionFailed', { attempt: 1, retriable: true }));
    expect(refused).toMatchObject({ status: 'FAILED', attempts: 1 });
    const retried = evolve(refused, sample('ResurrectionStarted', { requestId: 'req-2', attempt: 2 }));
    expect(retried).toMatchObject({ status: 'EXECUTING', attempts: 2, requestId: 'req-2' });
    // Refused again before its start, then given up on too late: both close the same FAILED kill.
    const again = evolve(evolve(retried, sample('ResurrectionFailed', { requestId: 'req-2', attempt: 2 })), sample('ResurrectionFailed', { requestId: 'req-3', attempt: 3 }));
    expect(again).toMatchObject({ status: 'FAILED', attempts: 3 });
    expect(evolve(again, sample('ResurrectionFailed', { requestId: 'req-4', attempt: null, retriable: false }))).toMatchObject({ status: 'FAILED', attempts: 3 });
  });

  it('takes the same outcome recorded again (its id and result) as a repeat, and any other as illegal', () => {
    const failed = fold(SAMPLE_EVENTS.KillReported, sample('DecisionMade', { decision: aDecision('approve_auto') }), SAMPLE_EVENTS.ResurrectionFailed);
    const closed = evolve(failed, sample('OutcomeRecorded', { result: 'failure' }));
    expect(evolve(closed, sample('OutcomeRecorded', { result: 'failure', at: '2026-02-11T13:00:00.000Z' }))).toBe(closed);
    expect(thrownBy(() => evolve(closed, sample('OutcomeRecorded', { result: 'failure', outcomeId: 'out-2' })))).toMatchObject({ code: 'illegal_transition' });
    const completed = fold(SAMPLE_EVENTS.KillReported, sample('DecisionMade', { decision: aDecision('approve_auto') }), SAMPLE_EVENTS.ResurrectionStarted, SAMPLE_EVENTS.ResurrectionSucceeded, SAMPLE_EVENTS.StabilityConfirmed, SAMPLE_EVENTS.OutcomeRecorded);
    expect(completed?.status).toBe('COMPLETED');
    expect(evolve(completed, SAMPLE_EVENTS.OutcomeRecorded)).toBe(completed);
  });

  it("asks Smith again after a defer, and takes Smith's verdict on the open notice only, once", () => {
    const approved = fold(SAMPLE_EVENTS.KillReported, sample('DecisionMade', { decision: aDecision('approve_auto') }), SAMPLE_EVENTS.VetoRequested);
    expect(approved).toMatchObject({ status: 'APPROVED', vetoRequestId: 'req-1' });
    const deferred = evolve(approved, SAMPLE_EVENTS.VetoDeferred);
    expect(deferred).toMatchObject({ status: 'APPROVED', vetoRequestId: null });
    expect(thrownBy(() => evolve(deferred, SAMPLE_EVENTS.VetoCleared))).toMatchObject({ code: 'illegal_transition' });
    const askedAgain = evolve(deferred, sample('VetoRequested', { requestId: 'req-2', correlationId: 'veto-2', attempt: 2 }));
    expect(askedAgain).toMatchObject({ status: 'APPROVED', vetoRequestId: 'req-2' });
    expect(thrownBy(() => evolve(askedAgain, SAMPLE_EVENTS.VetoCleared))).toMatchObject({
      code: 'illegal_transition',
      message: "VetoCleared rejected for kill demo-1: no pre-resurrection notice req-1 is waiting for Smith's answer",
    });
    const cleared = evolve(askedAgain, sample('VetoCleared', { requestId: 'req-2' }));
    expect(cleared).toMatchObject({ status: 'APPROVED', vetoRequestId: null });
    expect(thrownBy(() => evolve(cleared, sample('VetoCleared', { requestId: 'req-2' })))).toMatchObject({ code: 'illegal_transition' });
    expect(evolve(cleared, SAMPLE_EVENTS.ResurrectionStarted).status).toBe('EXECUTING');
  });

  const monitored = () =>
    fold(
      SAMPLE_EVENTS.KillReported,
      sample('DecisionMade', { decision: aDecision('approve_auto') }),
      SAMPLE_EVENTS.ResurrectionStarted,
      SAMPLE_EVENTS.ResurrectionSucceeded,
    );

  it("keeps an operator's rollback request, then rolls back to ROLLED_BACK and records the outcome after it", () => {
    const requested = evolve(monitored(), SAMPLE_EVENTS.RollbackRequested);
    expect(requested).toMatchObject({
      status: 'MONITORING',
      rollbackRequest: { actor: 'ops-console', reason: 'errors in the logs', commandId: 'cmd-4', requestedAt: SAMPLE_EVENTS.RollbackRequested.at },
    });
    const rolledBack = [sample('RollbackStarted', { actor: 'ops-console' }), SAMPLE_EVENTS.RollbackCompleted, sample('OutcomeRecorded', { result: 'rollback' })].reduce(evolve, requested);
    expect(rolledBack).toMatchObject({ status: 'ROLLED_BACK', outcome: { result: 'rollback' } });
    expect(rolledBack.history.map((h) => h.status)).toEqual(['PENDING', 'APPROVED', 'EXECUTING', 'MONITORING', 'ROLLING_BACK', 'ROLLED_BACK']);
  });

  it('rolls back a STABLE kill whose success is not recorded yet, but not a COMPLETED one', () => {
    const stable = evolve(monitored(), SAMPLE_EVENTS.StabilityConfirmed);
    expect(evolve(stable, SAMPLE_EVENTS.RollbackStarted).status).toBe('ROLLING_BACK');
    const completed = evolve(stable, SAMPLE_EVENTS.OutcomeRecorded);
    expect(completed.status).toBe('COMPLETED');
    expect(thrownBy(() => evolve(completed, SAMPLE_EVENTS.RollbackStarted))).toMatchObject({ code: 'illegal_transition' });
  });

  it('records a re-kill within the re-kill window after StabilityConfirmed: STABLE, then COMPLETED as re_killed', () => {
    const stable = evolve(monitored(), SAMPLE_EVENTS.StabilityConfirmed);
    expect(evolve(stable, sample('OutcomeRecorded', { result: 're_killed' }))).toMatchObject({ status: 'COMPLETED', outcome: { result: 're_killed' } });
  });

  it('lets a rollback already under way end after a re-kill closed the kill, and nothing else', () => {
    const rollingBack = [SAMPLE_EVENTS.RollbackRequested, SAMPLE_EVENTS.RollbackStarted, sample('OutcomeRecorded', { result: 're_killed' })].reduce(evolve, monitored());
    expect(rollingBack).toMatchObject({ status: 'ROLLING_BACK', outcome: { result: 're_killed' } });
    expect(evolve(rollingBack, SAMPLE_EVENTS.RollbackCompleted)).toMatchObject({ status: 'ROLLED_BACK', outcome: { result: 're_killed' } });
    expect(evolve(rollingBack, SAMPLE_EVENTS.RollbackFailed)).toMatchObject({ status: 'FAILED', outcome: { result: 're_killed' } });
    expect(thrownBy(() => evolve(rollingBack, SAMPLE_EVENTS.OutcomeRecorded))).toMatchObject({ code: 'illegal_transition' });
    const closedAnomaly = [SAMPLE_EVENTS.AnomalyDetected, sample('OutcomeRecorded', { result: 're_killed' })].reduce(evolve, monitored());
    expect(thrownBy(() => evolve(closedAnomaly, SAMPLE_EVENTS.RollbackStarted))).toMatchObject({ code: 'illegal_transition' });
  });

  it('refuses an event of another kill', () => {
    expect(thrownBy(() => evolve(reported, sample('RiskAssessed', { killId: 'other' })))).toMatchObject({ code: 'kill_mismatch' });
  });

  it('explains a rejection', () => {
    expect(thrownBy(() => evolve(stateIn('DENIED'), SAMPLE_EVENTS.ResurrectionStarted))).toMatchObject({
      message: 'ResurrectionStarted rejected for kill demo-1: it cannot happen in DENIED',
      details: { killId: 'demo-1', status: 'DENIED', event: 'ResurrectionStarted' },
    });
  });
});
