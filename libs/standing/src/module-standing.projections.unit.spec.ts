import type { ControlEvent, KillEvent } from '@medic/domain';
import { newEnvelope, toKafkaMessage } from '@medic/eventlog';
import type { KafkaMessage } from 'kafkajs';
import { SAMPLE_EVENTS, sample } from '../../domain/test/kill-event-samples';
import type { ModuleKillRow, ModuleReleaseRow } from './module-standing.entity';
import { moduleKillsProjection, moduleReleasesProjection } from './module-standing.projections';

/* The module-standing projections over records as they are on the log. */

const records = <S extends 'kill' | 'control'>(stream: S, events: (S extends 'kill' ? KillEvent : ControlEvent)[]): KafkaMessage[] =>
  events.map((e, i) => {
    const m = toKafkaMessage(stream, newEnvelope(stream, e as never, { source: 'test', subject: 'demo-1', time: e.at }));
    return { ...m, key: m.key === null || m.key === undefined ? null : Buffer.from(m.key), value: m.value as Buffer, headers: m.headers ?? {}, offset: String(i), timestamp: '0', attributes: 0 };
  });

function foldKills(reports: boolean, events: KillEvent[]): ModuleKillRow | null {
  const projection = moduleKillsProjection('test', { reports });
  const { events: read } = projection.read({ topic: 't', partition: 0, messages: records('kill', events) });
  return read.reduce<ModuleKillRow | null>((row, e) => projection.evolve(row, e), null);
}

const life: KillEvent[] = [
  SAMPLE_EVENTS.KillReported,
  sample('DecisionMade'),
  sample('ResurrectionStarted', { at: '2026-02-11T12:00:20.000Z' }),
  sample('ResurrectionSucceeded'),
  sample('OutcomeRecorded', { at: '2026-02-11T12:00:40.000Z', result: 're_killed' }),
];

describe('module kills', () => {
  it('follows a kill from its report to its re-kill', () => {
    expect(foldKills(true, life)).toEqual({
      killId: 'demo-1',
      targetModule: 'nginx-test',
      reportedAt: new Date(SAMPLE_EVENTS.KillReported.at),
      startedAt: new Date('2026-02-11T12:00:20.000Z'),
      reKilledAt: new Date('2026-02-11T12:00:40.000Z'),
    });
  });

  it('leaves the report out for a service that does not follow reports', () => {
    expect(foldKills(false, life)).toMatchObject({ reportedAt: null, startedAt: new Date('2026-02-11T12:00:20.000Z') });
    expect(foldKills(false, [SAMPLE_EVENTS.KillReported])).toBeNull();
  });

  it('is named after its service', () => {
    expect(moduleKillsProjection('executor', { reports: false }).name).toBe('executor.module_kills');
  });
});

describe('module releases', () => {
  const projection = moduleReleasesProjection('test');
  const fold = (events: ControlEvent[]) => projection.read({ topic: 't', partition: 0, messages: records('control', events) }).events.reduce<ModuleReleaseRow | null>((row, e) => projection.evolve(row, e), null);
  const release = (at: string, actor: string): ControlEvent => ({ type: 'ModuleReleased', at, actor, module: 'nginx-test', reason: `${actor} says so` });

  it('keeps the latest release, in whatever order they come', () => {
    const early = release('2026-02-11T12:00:00.000Z', 'alice');
    const late = release('2026-02-11T13:00:00.000Z', 'bob');
    const expected = { targetModule: 'nginx-test', releasedAt: new Date(late.at), actor: 'bob', reason: 'bob says so' };
    expect(fold([early, late])).toEqual(expected);
    expect(fold([late, early])).toEqual(expected);
  });

  it('passes over other control events', () => {
    expect(fold([{ type: 'ModeChanged', at: '2026-02-11T12:00:00.000Z', actor: 'bob', previous: 'observer', current: 'manual', reason: 'go' }])).toBeNull();
  });
});
