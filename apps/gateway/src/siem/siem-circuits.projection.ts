import type { ControlEvent } from '@medic/domain';
import { readStream, type LoggedEvent, type StreamProjection } from '@medic/eventlog';
import { SiemCircuitView } from './siem-circuit.entity';

/** Each SIEM's circuit breaker as the enrichment service last announced it. */
export const siemCircuitsProjection: StreamProjection<'control', SiemCircuitView> = {
  name: 'gateway.siem_circuits',
  entity: SiemCircuitView,
  read: readStream('control', ['SiemCircuitChanged']),
  keyOf: (e) => (e.data.type === 'SiemCircuitChanged' ? e.data.siem : ''),
  evolve: evolveSiemCircuit,
};

export function evolveSiemCircuit(row: SiemCircuitView | null, logged: LoggedEvent<ControlEvent>): SiemCircuitView | null {
  const e = logged.data;
  if (e.type !== 'SiemCircuitChanged') return row;
  return Object.assign(new SiemCircuitView(), { siem: e.siem, state: e.current, since: new Date(e.at), failureCount: e.failureCount, reason: e.reason });
}
