import {
  answerSmith,
  askSmith,
  dueVeto,
  evolveVeto,
  noticeRiskOf,
  preResurrectionNotice,
  readVetoAnswer,
  staleNotice,
  type RiskAssessment,
  type VetoAnswer,
  type VetoEvent,
  type VetoExchange,
  type VetoSettings,
} from '@medic/domain';
import { thrownBy } from '../../test/domain-fixtures';

/*
 * The veto exchange (spec 4.4) as Given events / When an answer or a due
 * time / Then events.
 */

const T0 = '2026-02-11T12:00:00.000Z';
const at = (seconds: number) => new Date(Date.parse(T0) + seconds * 1000).toISOString();
const settings: VetoSettings = { timeoutSeconds: 30, defaultOnTimeout: 'proceed', deferDelaySeconds: 60, maxDefers: 2 };
const abort: VetoSettings = { ...settings, defaultOnTimeout: 'abort' };

const first = { requestId: 'req-1', correlationId: 'cor-1' };
const second = { requestId: 'req-2', correlationId: 'cor-2' };
const ask = (ids = first, when = T0, previous: VetoExchange | null = null) =>
  askSmith({ killId: 'k-1', at: when, ...ids, noticeTopic: 'smith.veto.requests', replyTo: 'medic.responses', approvedBy: 'alice' }, previous, settings);

const fold = (...events: VetoEvent[]): VetoExchange => events.reduce<VetoExchange | null>(evolveVeto, null)!;

const answer = (decision: VetoAnswer['decision'], changes: Partial<VetoAnswer> = {}): VetoAnswer => ({
  requestId: 'req-1',
  correlationId: 'cor-1',
  killId: null,
  decision,
  reason: `Smith says ${decision}`,
  newEvidence: [],
  timestamp: null,
  ...changes,
});

const asked = fold(ask());
const accepted = (result: ReturnType<typeof answerSmith>): VetoEvent[] => {
  if (!result.ok) throw new Error(`refused: ${result.error.reason}`);
  return result.value;
};

describe('asking Smith', () => {
  it('sends the first notice with a deadline timeout_seconds away, naming the approver and where to answer', () => {
    expect(ask()).toEqual({
      type: 'VetoRequested',
      killId: 'k-1',
      at: T0,
      requestId: 'req-1',
      correlationId: 'cor-1',
      timeoutSeconds: 30,
      deadline: at(30),
      attempt: 1,
      noticeTopic: 'smith.veto.requests',
      replyTo: 'medic.responses',
      approvedBy: 'alice',
    });
    expect(asked).toMatchObject({ status: 'asked', requestId: 'req-1', dueAt: at(30), defers: 0 });
  });
});

describe("Smith's answer", () => {
  it('approve clears the resurrection, for the approver', () => {
    expect(accepted(answerSmith(asked, first, answer('approve'), at(5), settings))).toEqual([
      { type: 'VetoCleared', killId: 'k-1', at: at(5), requestId: 'req-1', basis: 'approve', reason: 'Smith says approve', approvedBy: 'alice' },
    ]);
  });

  it("veto stops it, keeping Smith's reason and new evidence", () => {
    const vetoed = accepted(answerSmith(asked, first, answer('veto', { reason: 'still beaconing', newEvidence: ['dns to c2.example'] }), at(5), settings));
    expect(vetoed).toEqual([{ type: 'ResurrectionVetoed', killId: 'k-1', at: at(5), requestId: 'req-1', basis: 'veto', reason: 'still beaconing', newEvidence: ['dns to c2.example'] }]);
    expect(fold(ask(), ...vetoed)).toMatchObject({ status: 'vetoed', basis: 'veto', dueAt: null });
  });

  it('says who decided when Smith gives no reason', () => {
    expect(accepted(answerSmith(asked, first, answer('approve', { reason: '' }), at(5), settings))[0]).toMatchObject({ reason: 'Smith approved the resurrection' });
    expect(accepted(answerSmith(asked, first, answer('veto', { reason: '' }), at(5), settings))[0]).toMatchObject({ reason: 'Smith vetoed the resurrection' });
  });

  it('defer asks again after defer_delay_seconds, then the next notice takes the answer', () => {
    const [deferred] = accepted(answerSmith(asked, first, answer('defer', { newEvidence: ['scan running'] }), at(5), settings));
    expect(deferred).toEqual({ type: 'VetoDeferred', killId: 'k-1', at: at(5), requestId: 'req-1', reason: 'Smith says defer', newEvidence: ['scan running'], askAgainAt: at(65), defers: 1 });
    const waiting = fold(ask(), deferred!);
    expect(waiting).toMatchObject({ status: 'deferred', dueAt: at(65), defers: 1 });

    expect(dueVeto(waiting, at(64), settings, second)).toEqual([]);
    const [again] = dueVeto(waiting, at(65), settings, second);
    expect(again).toEqual({ ...ask(second, at(65)), attempt: 2 });
    const askedAgain = fold(ask(), deferred!, again!);
    expect(askedAgain).toMatchObject({ status: 'asked', requestId: 'req-2', attempt: 2, defers: 1, dueAt: at(95) });
    expect(accepted(answerSmith(askedAgain, second, answer('approve', { requestId: 'req-2', correlationId: 'cor-2' }), at(70), settings))[0]).toMatchObject({ type: 'VetoCleared', requestId: 'req-2' });
  });

  it('settles by the default once Smith defers more than max_defers times', () => {
    const twice = fold(ask(), { type: 'VetoDeferred', killId: 'k-1', at: at(1), requestId: 'req-1', reason: 'wait', newEvidence: [], askAgainAt: at(2), defers: 2 }, ask(second, at(2), asked));
    const third = answer('defer', { requestId: 'req-2', correlationId: 'cor-2', reason: 'still scanning', newEvidence: ['scan 3'] });
    expect(accepted(answerSmith(twice, second, third, at(3), settings))).toEqual([
      {
        type: 'VetoCleared',
        killId: 'k-1',
        at: at(3),
        requestId: 'req-2',
        basis: 'defer',
        reason: 'Smith deferred notice req-2 (still scanning), its defer number 3 where at most 2 are honoured; the configured default is to proceed',
        approvedBy: 'alice',
      },
    ]);
    expect(accepted(answerSmith(twice, second, third, at(3), abort))[0]).toMatchObject({ type: 'ResurrectionVetoed', basis: 'defer', newEvidence: ['scan 3'] });
  });

  it('is refused when it names another notice, kill or request, or one already answered', () => {
    const refusal = (exchange: VetoExchange, ids: typeof first, a: VetoAnswer) => {
      const result = answerSmith(exchange, ids, a, at(5), settings);
      return result.ok ? null : result.error;
    };
    expect(refusal(asked, first, answer('approve', { requestId: 'req-9' }))).toEqual({
      code: 'request_mismatch',
      reason: 'request_id req-9 is not that of the notice with correlation_id cor-1 (req-1)',
    });
    expect(refusal(asked, first, answer('approve', { killId: 'k-9' }))).toMatchObject({ code: 'request_mismatch' });
    const cleared = fold(ask(), ...accepted(answerSmith(asked, first, answer('approve'), at(5), settings)));
    expect(refusal(cleared, first, answer('veto'))).toEqual({ code: 'already_answered', reason: 'notice req-1 about kill k-1 is already settled (cleared, approve)' });
    const askedAgain = fold(ask(), { type: 'VetoDeferred', killId: 'k-1', at: at(1), requestId: 'req-1', reason: 'wait', newEvidence: [], askAgainAt: at(2), defers: 1 }, ask(second, at(2), asked));
    expect(refusal(askedAgain, first, answer('approve'))).toEqual({ code: 'already_answered', reason: 'notice req-1 about kill k-1 was deferred and asked again as req-2' });
  });

  it('counts by when it reached the log: one in by the deadline settles the kill however late it is read, a later one is refused', () => {
    // Read long after the deadline (the negotiator was down), answered in time.
    expect(accepted(answerSmith(asked, first, answer('veto'), at(600), settings, at(30)))).toEqual([
      { type: 'ResurrectionVetoed', killId: 'k-1', at: at(600), requestId: 'req-1', basis: 'veto', reason: 'Smith says veto', newEvidence: [] },
    ]);
    const late = answerSmith(asked, first, answer('veto'), at(31), settings, at(30.001));
    expect(late).toEqual({
      ok: false,
      error: { code: 'late_answer', reason: `the answer to notice req-1 about kill k-1 came at ${at(30.001)}, after its deadline ${at(30)}; the default (proceed) settles it` },
    });
    // The deadline then settles it by the default, as if Smith had stayed silent.
    expect(dueVeto(asked, at(31), settings, second)).toMatchObject([{ type: 'VetoCleared', basis: 'timeout_default' }]);
  });
});

describe('a notice sent late', () => {
  it('goes as it is while half its time is left', () => {
    expect(staleNotice(asked, at(0), settings, second)).toBeNull();
    expect(staleNotice(asked, at(15), settings, second)).toBeNull();
  });

  it('is asked again, with a deadline from now, once half its time has gone or all of it', () => {
    for (const when of [at(15.001), at(29), at(600)]) {
      expect(staleNotice(asked, when, settings, second)).toEqual({ ...ask(second, when, asked), attempt: 2 });
    }
    expect(staleNotice(asked, at(20), settings, second)).toMatchObject({ deadline: at(50), timeoutSeconds: 30 });
  });

  it('is asked again once per exchange, whatever defers came before, and never once settled or deferred', () => {
    const askedAgain = fold(ask(), ask(second, at(20), asked));
    expect(staleNotice(askedAgain, at(45), settings, { requestId: 'req-3', correlationId: 'cor-3' })).toBeNull();
    const deferred = fold(ask(), { type: 'VetoDeferred', killId: 'k-1', at: at(1), requestId: 'req-1', reason: 'wait', newEvidence: [], askAgainAt: at(61), defers: 1 });
    expect(staleNotice(deferred, at(62), settings, second)).toBeNull();
    const afterDefer = fold(ask(), { type: 'VetoDeferred', killId: 'k-1', at: at(1), requestId: 'req-1', reason: 'wait', newEvidence: [], askAgainAt: at(61), defers: 1 }, ask(second, at(61), deferred));
    expect(staleNotice(afterDefer, at(80), settings, { requestId: 'req-3', correlationId: 'cor-3' })).toMatchObject({ attempt: 3, requestId: 'req-3' });
    const cleared = fold(ask(), ...accepted(answerSmith(asked, first, answer('approve'), at(5), settings)));
    expect(staleNotice(cleared, at(20), settings, second)).toBeNull();
  });
});

describe("Smith's silence", () => {
  it('changes nothing before the deadline', () => {
    expect(dueVeto(asked, at(29), settings, second)).toEqual([]);
  });

  it('settles by the default at the deadline: proceed clears, abort vetoes', () => {
    expect(dueVeto(asked, at(30), settings, second)).toEqual([
      {
        type: 'VetoCleared',
        killId: 'k-1',
        at: at(30),
        requestId: 'req-1',
        basis: 'timeout_default',
        reason: 'Smith did not answer notice req-1 within 30 s; the configured default is to proceed',
        approvedBy: 'alice',
      },
    ]);
    expect(dueVeto(asked, at(31), abort, second)).toEqual([
      { type: 'ResurrectionVetoed', killId: 'k-1', at: at(31), requestId: 'req-1', basis: 'timeout_default', reason: 'Smith did not answer notice req-1 within 30 s; the configured default is to abort', newEvidence: [] },
    ]);
  });

  it('brings nothing once settled', () => {
    const vetoed = fold(ask(), ...dueVeto(asked, at(30), abort, second));
    expect(vetoed).toMatchObject({ status: 'vetoed', basis: 'timeout_default', dueAt: null });
    expect(dueVeto(vetoed, at(999), abort, second)).toEqual([]);
  });

  it('cannot settle an exchange that never began', () => {
    expect(thrownBy(() => evolveVeto(null, { type: 'VetoCleared', killId: 'k-1', at: T0, requestId: 'req-1', basis: 'approve', reason: 'ok', approvedBy: 'alice' }))).toMatchObject({
      code: 'illegal_transition',
    });
  });
});

describe('reading an answer from a reply topic', () => {
  const bytes = (value: unknown) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value));
  const wire = {
    message_type: 'RESURRECTION_VETO',
    request_id: 'req-1',
    correlation_id: 'cor-1',
    decision: 'veto',
    reason: 'still beaconing',
    new_evidence: ['dns to c2.example'],
    counter_proposal: { wait_minutes: 10 },
    timestamp: '2026-02-11T13:00:00+01:00',
  };
  const read = (value: unknown) => readVetoAnswer(bytes(value), 65_536);
  const failure = (value: unknown) => {
    const r = read(value);
    return r.kind === 'malformed' ? r.failure : r;
  };

  it('reads the spec 4.4 answer', () => {
    expect(read(wire)).toEqual({
      kind: 'answer',
      answer: { requestId: 'req-1', correlationId: 'cor-1', killId: null, decision: 'veto', reason: 'still beaconing', newEvidence: ['dns to c2.example'], timestamp: '2026-02-11T12:00:00.000Z' },
    });
    expect(read({ message_type: 'RESURRECTION_VETO', request_id: 'req-1', decision: 'approve' })).toEqual({
      kind: 'answer',
      answer: { requestId: 'req-1', correlationId: null, killId: null, decision: 'approve', reason: '', newEvidence: [], timestamp: null },
    });
  });

  it('leaves messages of other types alone', () => {
    expect(read({ message_type: 'KILL_ACK', kill_id: 'k-1' })).toEqual({ kind: 'other', messageType: 'KILL_ACK' });
  });

  it.each([
    ['not JSON', '{"message_type":', 'malformed_json', null],
    ['not an object', [1, 2], 'invalid_envelope', null],
    ['no message_type', { request_id: 'req-1', decision: 'veto' }, 'invalid_envelope', 'message_type'],
    ['a message_type that is no string', { ...wire, message_type: 7 }, 'invalid_envelope', 'message_type'],
    ['an unknown field', { ...wire, verdict: 'veto' }, 'invalid_envelope', 'verdict'],
    ['no notice named', { ...wire, request_id: undefined, correlation_id: undefined }, 'invalid_field', 'request_id'],
    ['an empty request_id', { ...wire, request_id: '' }, 'invalid_field', 'request_id'],
    ['no decision', { ...wire, decision: undefined }, 'invalid_field', 'decision'],
    ['a decision outside the spec', { ...wire, decision: 'maybe' }, 'invalid_field', 'decision'],
    ['evidence that is no list', { ...wire, new_evidence: 'dns' }, 'invalid_field', 'new_evidence'],
    ['a counter_proposal that is no object', { ...wire, counter_proposal: 'later' }, 'invalid_field', 'counter_proposal'],
    ['a timestamp without a zone', { ...wire, timestamp: '2026-02-11T12:00:00' }, 'invalid_field', 'timestamp'],
    ['a reason too long', { ...wire, reason: 'x'.repeat(2001) }, 'invalid_field', 'reason'],
    ['a null byte in the reason', { ...wire, reason: 'still\u0000beaconing' }, 'invalid_field', 'reason'],
    ['a lone surrogate in the reason', { ...wire, reason: 'still \ud800 beaconing' }, 'invalid_field', 'reason'],
    ['a null byte in new evidence', { ...wire, new_evidence: ['dns\u0000c2'] }, 'invalid_field', 'new_evidence[0]'],
  ])('refuses %s, naming the field', (_label, value, code, field) => {
    expect(failure(value)).toMatchObject({ code, field });
  });

  it('refuses an answer naming its decision twice, whichever JSON.parse would keep', () => {
    const text = JSON.stringify(wire).replace('"decision":"veto"', '"decision":"approve","decision":"veto"');
    expect(read(text)).toMatchObject({ kind: 'malformed', failure: { code: 'malformed_json', field: 'decision' } });
  });

  it('refuses a message over the size limit before parsing it', () => {
    expect(readVetoAnswer(bytes(wire), 64)).toMatchObject({ kind: 'malformed', failure: { code: 'message_too_large' } });
  });
});

describe('the notice', () => {
  it('is the spec 4.4 PRE_RESURRECTION_NOTICE, with the factors that took part and where to answer', () => {
    const assessment: RiskAssessment = {
      score: 0.28,
      level: 'low',
      coverage: 1,
      likelihood: 0.4,
      impact: 0.4,
      factors: [
        { name: 'smith_confidence', raw: 0.4, normalized: 0.4, weight: 0.5, contribution: 0.2, observed: true, outOfModel: false, explanation: '' },
        { name: 'siem_risk_score', raw: 0, normalized: 0, weight: 0, contribution: 0, observed: false, outOfModel: true, explanation: '' },
        { name: 'severity', raw: 0.25, normalized: 0.25, weight: 0.2, contribution: 0.08, observed: true, outOfModel: false, explanation: '' },
      ],
    };
    expect(preResurrectionNotice(ask(), 'nginx-test', noticeRiskOf(assessment))).toEqual({
      message_type: 'PRE_RESURRECTION_NOTICE',
      request_id: 'req-1',
      kill_id: 'k-1',
      target_module: 'nginx-test',
      proposed_action: 'resurrect',
      risk_assessment: { level: 'low', score: 0.28, factors: { smith_confidence: 0.2, severity: 0.08 } },
      timeout_seconds: 30,
      correlation_id: 'cor-1',
      reply_to: 'medic.responses',
    });
  });
});
