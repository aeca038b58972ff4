import type { ControlEvent, KillEvent, LoggedKillCommand } from '@medic/domain';
import { SAMPLE_EVENTS } from '../../domain/test/kill-event-samples';
import { ContractError } from './codec';
import { ceTypeOf, CONTROL_EVENT_TYPES, decodeEvent, encodeEvent, isKnownType, KILL_COMMAND_TYPES, KILL_EVENT_TYPES } from './registry';

const rich: KillEvent[] = [
  // Taken in with a SIEM configured: it carries the time until which it waits for its context.
  { ...SAMPLE_EVENTS.KillReported, enrichmentDeadline: '2026-02-11T12:00:33.000Z' },
  {
    ...SAMPLE_EVENTS.RiskAssessed,
    assessment: {
      score: 0.28,
      level: 'low',
      coverage: 1,
      likelihood: 0.4,
      impact: 0.4,
      factors: [
        { name: 'smith_confidence', raw: 0.4, normalized: 0.4, weight: 0.5, contribution: 0.2, observed: true, outOfModel: false, explanation: 'Smith is 40% sure' },
        { name: 'siem_risk_score', raw: 0, normalized: 0, weight: 0, contribution: 0, observed: false, outOfModel: true, explanation: 'no SIEM configured' },
      ],
    },
  },
  {
    ...SAMPLE_EVENTS.ContextEnriched,
    threatIndicators: [{ indicatorType: 'ip', value: '10.0.0.9', threatScore: 0.8, source: 'intel', lastSeen: '2026-02-10T08:00:00.000Z', tags: ['c2', 'scan'] }],
    historicalBehavior: { restarts: 3, nested: { ok: true, list: [1, 'two', null] } },
    userContext: { user: 'svc-nginx' },
    failureReason: 'partial answer',
  },
  { ...SAMPLE_EVENTS.DecisionMade, decision: { ...SAMPLE_EVENTS.DecisionMade.decision, outcome: 'approve_auto', mode: 'semi_auto', siemStatus: 'not_configured', reasoning: ['a', 'b'] } },
  { ...SAMPLE_EVENTS.OutcomeRecorded, requestId: null, timeToStableSeconds: null, result: 're_killed', lessonsLearned: ['flapping'], metrics: { cpu: 0.5 } },
  { ...SAMPLE_EVENTS.RollbackStarted, containerId: null },
];

const control: ControlEvent[] = [
  { type: 'ThresholdsUpdated', at: '2026-02-11T12:00:00.000Z', actor: 'alice', thresholds: { minimal: 0.2, low: 0.4, medium: 0.6, high: 0.8 }, maxRiskLevel: 'medium', minConfidence: 0.8, reason: 'tuning' },
  {
    type: 'ThresholdsRecalibrated',
    at: '2026-02-11T12:00:00.000Z',
    actor: 'learning',
    previousMaxAutoScore: 0.4,
    newMaxAutoScore: 0.44,
    samples: 120,
    evidence: ['96% success in low'],
    thresholds: { minimal: 0.2, low: 0.44, medium: 0.6, high: 0.8 },
    maxRiskLevel: 'low',
    minConfidence: 0.85,
  },
  { type: 'ThresholdsRecalibrated', at: '2026-02-11T12:00:00.000Z', actor: 'learning', previousMaxAutoScore: 0.4, newMaxAutoScore: 0.44, samples: 120, evidence: [], thresholds: null, maxRiskLevel: null, minConfidence: null },
  { type: 'ModeChanged', at: '2026-02-11T12:00:00.000Z', actor: 'bob', previous: 'observer', current: 'full_auto', reason: 'go live' },
  { type: 'ModuleReleased', at: '2026-02-11T12:00:00.000Z', actor: 'admin-alice', module: 'nginx-test', reason: 'fixed its config' },
  { type: 'ModuleReleased', at: '2026-02-11T12:00:00.000Z', actor: 'admin-alice', module: 'nginx-test', reason: null },
];

const commandSamples: LoggedKillCommand[] = [
  { type: 'GrantApproval', commandId: 'c-1', killId: 'demo-1', at: '2026-02-11T12:00:00.000Z', approver: 'alice', notes: null },
  { type: 'GrantApproval', commandId: 'c-2', killId: 'demo-1', at: '2026-02-11T12:00:00.000Z', approver: 'alice', notes: 'checked the logs' },
  { type: 'DenyApproval', commandId: 'c-3', killId: 'demo-1', at: '2026-02-11T12:00:00.000Z', denier: 'bob', reason: 'still hostile' },
  { type: 'ExpireApproval', commandId: 'c-4', killId: 'demo-1', at: '2026-02-11T12:00:00.000Z', actor: 'timer:approval-expiry' },
  { type: 'ResumeResurrection', commandId: 'c-5', killId: 'demo-1', at: '2026-02-11T12:00:00.000Z', actor: 'timer:backoff' },
  { type: 'RequestRollback', commandId: 'c-5', killId: 'demo-1', at: '2026-02-11T12:00:00.000Z', actor: 'ops-console', reason: 'errors in the logs' },
  {
    type: 'ReviewApproval',
    commandId: 'c-6',
    killId: 'demo-1',
    at: '2026-02-11T12:00:00.000Z',
    actor: 'executor:quarantine',
    reason: 'module nginx-test is quarantined',
    queueItemId: 'item-1',
    expiresAt: '2026-02-12T12:00:00.000Z',
  },
];

describe('event contracts', () => {
  it('has a schema for every kill and control event type', () => {
    expect(KILL_EVENT_TYPES).toHaveLength(28);
    expect(KILL_COMMAND_TYPES).toEqual(['GrantApproval', 'DenyApproval', 'ExpireApproval', 'ExpireEnrichment', 'ResumeResurrection', 'RequestRollback', 'ReviewApproval']);
    expect(CONTROL_EVENT_TYPES).toEqual(['ThresholdsUpdated', 'ThresholdsRecalibrated', 'ModeChanged', 'SiemCircuitChanged', 'ModuleReleased']);
  });

  it.each(Object.values(SAMPLE_EVENTS).map((e) => [e.type, e] as const))('round-trips %s through protobuf unchanged', (_type, event) => {
    const ceType = ceTypeOf('kill', event);
    expect(ceType).toBe(`medic.kill.v1.${event.type}`);
    expect(decodeEvent('kill', ceType, encodeEvent('kill', event))).toEqual(event);
  });

  it.each(rich.map((e) => [e.type, e] as const))('round-trips a %s with nested values, nulls and enums', (_type, event) => {
    expect(decodeEvent('kill', ceTypeOf('kill', event), encodeEvent('kill', event))).toEqual(event);
  });

  it.each(control.map((e) => [e.type, e] as const))('round-trips control event %s', (_type, event) => {
    expect(decodeEvent('control', ceTypeOf('control', event), encodeEvent('control', event))).toEqual(event);
  });

  it.each(commandSamples.map((c) => [c.type, c] as const))('round-trips command %s', (_type, command) => {
    expect(ceTypeOf('command', command)).toBe(`medic.command.v1.${command.type}`);
    expect(decodeEvent('command', ceTypeOf('command', command), encodeEvent('command', command))).toEqual(command);
  });

  it('refuses an enum value the contract does not know', () => {
    const bad = { ...SAMPLE_EVENTS.DecisionMade, decision: { ...SAMPLE_EVENTS.DecisionMade.decision, outcome: 'maybe' } } as unknown as KillEvent;
    expect(() => encodeEvent('kill', bad)).toThrow(ContractError);
    expect(() => encodeEvent('kill', bad)).toThrow(/decision\.outcome/);
  });

  it('refuses an event whose required field is missing', () => {
    const { reason: _r, ...missing } = SAMPLE_EVENTS.ApprovalDenied;
    expect(() => encodeEvent('kill', missing as unknown as KillEvent)).toThrow(/reason is missing/);
  });

  it('knows which types belong to which stream', () => {
    expect(isKnownType('kill', 'medic.kill.v1.DecisionMade')).toBe(true);
    expect(isKnownType('kill', 'medic.kill.v2.DecisionMade')).toBe(false);
    expect(isKnownType('control', 'medic.kill.v1.DecisionMade')).toBe(false);
    expect(() => decodeEvent('kill', 'medic.kill.v1.Nope', new Uint8Array())).toThrow(ContractError);
  });
});
