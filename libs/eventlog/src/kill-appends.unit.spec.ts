import { decodeEvent } from '@medic/contracts';
import { SAMPLE_EVENTS } from '../../domain/test/kill-event-samples';
import { newEnvelope, type LoggedEvent } from './envelope';
import { KillAppends } from './kill-appends';

describe('KillAppends', () => {
  const cause: LoggedEvent<unknown> = { ...newEnvelope('kill', SAMPLE_EVENTS.KillReported, { source: 'medic/listener', subject: 'k-1', time: SAMPLE_EVENTS.KillReported.at }), topic: 't', partition: 0, offset: '7' };
  const header = (m: { headers?: Record<string, unknown> }, name: string) => String(m.headers?.[name]);

  it("keeps a batch's events and their records, keyed by kill, continuing the cause's trace", () => {
    const appends = new KillAppends('medic/test', 'medic.kill.events');
    appends.add(SAMPLE_EVENTS.RiskAssessed, cause);
    appends.add(SAMPLE_EVENTS.DecisionMade, cause, '2026-02-11T12:00:09.000Z');
    expect(appends.events).toEqual([SAMPLE_EVENTS.RiskAssessed, SAMPLE_EVENTS.DecisionMade]);
    const output = appends.output();
    expect(output.topic).toBe('medic.kill.events');
    expect(output.messages.map((m) => m.key?.toString())).toEqual([SAMPLE_EVENTS.RiskAssessed.killId, SAMPLE_EVENTS.DecisionMade.killId]);
    expect(output.messages.map((m) => header(m, 'ce_source'))).toEqual(['medic/test', 'medic/test']);
    expect(output.messages.map((m) => header(m, 'ce_time'))).toEqual([SAMPLE_EVENTS.RiskAssessed.at, '2026-02-11T12:00:09.000Z']);
    expect(header(output.messages[0]!, 'medic_causation_id')).toBe(cause.id);
    expect(decodeEvent('kill', header(output.messages[1]!, 'ce_type'), output.messages[1]!.value as Buffer)).toEqual(SAMPLE_EVENTS.DecisionMade);
  });

  it('starts each batch empty, leaving what the last one gave untouched', () => {
    const appends = new KillAppends('medic/test', 'medic.kill.events');
    appends.add(SAMPLE_EVENTS.RiskAssessed, cause);
    const first = { events: appends.events, output: appends.output() };
    appends.reset();
    expect(appends.events).toEqual([]);
    expect(appends.output().messages).toEqual([]);
    expect(first.events).toHaveLength(1);
    expect(first.output.messages).toHaveLength(1);
  });

  it('tells what it adds the trace its record carries first, and adds nothing when that refuses it', () => {
    const appends = new KillAppends('medic/test', 'medic.kill.events');
    const seen: string[] = [];
    appends.add(SAMPLE_EVENTS.RiskAssessed, cause, undefined, (trace) => seen.push(`00-${trace.traceId}-${trace.spanId}-${trace.sampled ? '01' : '00'}`));
    expect(seen).toEqual([header(appends.output().messages[0]!, 'traceparent')]);
    expect(() =>
      appends.add(SAMPLE_EVENTS.DecisionMade, cause, undefined, () => {
        throw new Error('illegal');
      }),
    ).toThrow('illegal');
    expect(appends.events).toEqual([SAMPLE_EVENTS.RiskAssessed]);
    expect(appends.output().messages).toHaveLength(1);
  });
});
