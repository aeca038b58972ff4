import type { KillEvent } from '@medic/domain';
import type { KafkaMessage } from 'kafkajs';
import { newEnvelope, toKafkaMessage, type LoggedEvent } from '@medic/eventlog';
import { SAMPLE_EVENTS, aDecision } from '../../../../libs/domain/test/kill-event-samples';
import { loggedKillEvent } from '../../../../libs/eventlog/test/logged-events';
import { evolveKillView, killsProjection, killTallies } from './kills.projection';

let offset = 0;
const logged = (data: KillEvent): LoggedEvent<KillEvent> => loggedKillEvent(data, (offset += 1));

const fold = (events: KillEvent[]) => events.reduce((row, e) => evolveKillView(row, logged(e)), null as ReturnType<typeof evolveKillView>);

describe('kills projection', () => {
  it('creates the row from the report', () => {
    const row = fold([SAMPLE_EVENTS.KillReported])!;
    expect(row).toMatchObject({ killId: 'demo-1', status: 'pending', targetModule: SAMPLE_EVENTS.KillReported.report.targetModule, decisionId: null });
  });

  it('adds the risk breakdown and the decision', () => {
    const factors = [{ name: 'severity' as const, raw: 0.25, normalized: 0.25, weight: 0.1, contribution: 0.025, observed: true, outOfModel: false, explanation: 'low' }];
    const row = fold([
      SAMPLE_EVENTS.KillReported,
      { ...SAMPLE_EVENTS.RiskAssessed, assessment: { score: 0.3, level: 'low', factors, coverage: 0.75, likelihood: 0.4, impact: 0.5 } },
      { ...SAMPLE_EVENTS.DecisionMade, decision: aDecision('approve_auto') },
    ])!;
    expect(row).toMatchObject({ status: 'approved', decisionId: 'dec-1', outcome: 'approve_auto', riskLevel: 'low', riskFactors: factors, riskCoverage: 0.75, observeOnly: false });
    expect(row.reasoning).toEqual(aDecision('approve_auto').reasoning);
  });

  it.each([
    ['deny', false, 'denied'],
    ['approve_auto', true, 'observed'],
    ['deny', true, 'observed'],
    ['pending_review', true, 'observed'],
    ['pending_review', false, 'pending'],
  ] as const)('shows a %s decision (observe only: %s) as %s', (outcome, observeOnly, status) => {
    expect(fold([SAMPLE_EVENTS.KillReported, { ...SAMPLE_EVENTS.DecisionMade, decision: aDecision(outcome, observeOnly) }])!.status).toBe(status);
  });

  it('records the approval request', () => {
    const row = fold([SAMPLE_EVENTS.KillReported, SAMPLE_EVENTS.DecisionMade, SAMPLE_EVENTS.ApprovalRequested])!;
    expect(row.approvalQueueItemId).toBe(SAMPLE_EVENTS.ApprovalRequested.queueItemId);
    expect(row.approvalExpiresAt).toEqual(new Date(SAMPLE_EVENTS.ApprovalRequested.expiresAt));
  });

  it('counts a kill toward its outcome once decided, and toward its approval status once asked for', () => {
    expect(killTallies(fold([SAMPLE_EVENTS.KillReported])!)).toEqual([]);
    expect(killTallies(fold([SAMPLE_EVENTS.KillReported, { ...SAMPLE_EVENTS.DecisionMade, decision: aDecision('deny') }])!)).toEqual(['outcome:deny']);
    const asked = [SAMPLE_EVENTS.KillReported, { ...SAMPLE_EVENTS.DecisionMade, decision: aDecision('pending_review') }, SAMPLE_EVENTS.ApprovalRequested];
    expect(killTallies(fold(asked)!)).toEqual(['outcome:pending_review', 'approval:pending']);
    // A human's grant makes the outcome theirs.
    expect(killTallies(fold([...asked, SAMPLE_EVENTS.ApprovalGranted])!)).toEqual(['outcome:approve_manual', 'approval:granted']);
  });

  it('ignores a repeated report and events of an unknown kill', () => {
    const first = fold([SAMPLE_EVENTS.KillReported])!;
    expect(evolveKillView(first, logged({ ...SAMPLE_EVENTS.KillReported, at: '2030-01-01T00:00:00.000Z' }))).toBe(first);
    expect(evolveKillView(null, logged(SAMPLE_EVENTS.DecisionMade))).toBeNull();
  });

  it.each([
    [SAMPLE_EVENTS.ApprovalGranted, { status: 'approved', outcome: 'approve_manual', approvalStatus: 'granted', approvalBy: 'alice', approvalNotes: null, approvalCommandId: 'cmd-1' }],
    [SAMPLE_EVENTS.ApprovalDenied, { status: 'denied', outcome: 'deny', approvalStatus: 'denied', approvalBy: 'bob', denialReason: 'looks hostile', approvalCommandId: 'cmd-2' }],
    [SAMPLE_EVENTS.ApprovalExpired, { status: 'expired', outcome: 'pending_review', approvalStatus: 'expired', approvalBy: 'timer:approval-expiry', approvalCommandId: null }],
  ])('records the verdict of %#', (verdict, expected) => {
    const row = fold([SAMPLE_EVENTS.KillReported, SAMPLE_EVENTS.DecisionMade, SAMPLE_EVENTS.ApprovalRequested, verdict])!;
    expect(row).toMatchObject({ ...expected, approvalAt: new Date(verdict.at), approvalQueueItemId: SAMPLE_EVENTS.ApprovalRequested.queueItemId });
  });

  it("follows the veto exchange with Smith: asked, deferred, asked again, vetoed with Smith's reason and evidence", () => {
    const approved = [SAMPLE_EVENTS.KillReported, { ...SAMPLE_EVENTS.DecisionMade, decision: aDecision('approve_auto') }];
    const asked = { ...SAMPLE_EVENTS.VetoRequested, at: '2026-02-11T12:00:01.000Z', deadline: '2026-02-11T12:00:11.000Z', attempt: 1 };
    const deferred = { ...SAMPLE_EVENTS.VetoDeferred, at: '2026-02-11T12:00:03.000Z' };
    const again = { ...asked, at: '2026-02-11T12:01:10.000Z', deadline: '2026-02-11T12:01:20.000Z', attempt: 2 };
    const vetoed = { ...SAMPLE_EVENTS.ResurrectionVetoed, at: '2026-02-11T12:01:12.000Z', reason: 'still beaconing', newEvidence: ['dns c2.example'] };
    expect(fold([...approved, asked])).toMatchObject({ status: 'approved', vetoStatus: 'awaiting_answer', vetoRequestedAt: new Date(asked.at), vetoAttempts: 1 });
    expect(fold([...approved, asked, deferred])).toMatchObject({ vetoStatus: 'deferred', vetoBasis: 'defer', vetoReason: 'still looking', vetoEvidence: ['beacon at 12:00'] });
    expect(fold([...approved, asked, deferred, again, vetoed])).toMatchObject({
      status: 'vetoed',
      vetoStatus: 'vetoed',
      vetoBasis: 'veto',
      vetoReason: 'still beaconing',
      vetoEvidence: ['dns c2.example'],
      vetoRequestedAt: new Date(asked.at),
      vetoDeadline: new Date(again.deadline),
      vetoAnsweredAt: new Date(vetoed.at),
      vetoAttempts: 2,
    });
    const cleared = fold([...approved, asked, { ...SAMPLE_EVENTS.VetoCleared, basis: 'timeout_default' as const, reason: 'no answer within 10 s' }])!;
    expect(cleared).toMatchObject({ status: 'approved', vetoStatus: 'cleared', vetoBasis: 'timeout_default', vetoReason: 'no answer within 10 s' });
  });

  it('shows a resurrection held back, since the first hold, until it is started', () => {
    const approved = [SAMPLE_EVENTS.KillReported, { ...SAMPLE_EVENTS.DecisionMade, decision: aDecision('approve_auto') }];
    const held = { ...SAMPLE_EVENTS.ResurrectionDeferred, at: '2026-02-11T12:00:01.000Z', notBefore: '2026-02-11T12:00:02.000Z', reason: 'waits for db', waitsForKillIds: ['k-db'] };
    const again = { ...held, at: '2026-02-11T12:00:02.500Z', notBefore: '2026-02-11T12:00:04.000Z', reason: 'still waits for db' };
    const row = fold([...approved, held, SAMPLE_EVENTS.ResurrectionResumed, again])!;
    expect(row).toMatchObject({ status: 'approved', heldSince: new Date(held.at), heldUntil: new Date(again.notBefore), heldReason: 'still waits for db', heldFor: ['k-db'] });
    const started = fold([...approved, held, again, SAMPLE_EVENTS.ResurrectionStarted])!;
    expect(started).toMatchObject({ heldSince: null, heldUntil: null, heldReason: null, heldFor: null });
    // A start that was never held back changes nothing here.
    const plain = fold(approved)!;
    expect(evolveKillView(plain, logged(SAMPLE_EVENTS.ResurrectionStarted))).toBe(plain);
  });

  it('reads only the event types it folds', () => {
    const records = [SAMPLE_EVENTS.KillReported, SAMPLE_EVENTS.CommandRejected, SAMPLE_EVENTS.ApprovalGranted].map((e, i) => {
      const env = newEnvelope('kill', e, { source: 'test', subject: e.killId, time: e.at });
      return { ...toKafkaMessage('kill', env), offset: String(i), timestamp: '0', attributes: 0, size: 0 } as KafkaMessage;
    });
    const read = killsProjection.read({ topic: 't', partition: 0, messages: records });
    expect(read.events.map((e) => e.data.type)).toEqual(['KillReported', 'ApprovalGranted']);
    expect(read.rejected).toEqual([]);
  });
});
