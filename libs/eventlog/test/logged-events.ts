import type { KillEvent } from '@medic/domain';
import type { LoggedEvent } from '../src/envelope';

/** A kill event as a step reads it from the log, at `offset` of partition 0 (its id made from the offset), for unit tests of folds and views. */
export function loggedKillEvent(data: KillEvent, offset: number, source = 'medic/test'): LoggedEvent<KillEvent> {
  const id = `00000000-0000-4000-8000-${String(offset).padStart(12, '0')}`;
  return {
    id,
    type: `medic.kill.v1.${data.type}`,
    source,
    time: data.at,
    subject: data.killId,
    causationId: null,
    correlationId: id,
    trace: { traceId: 'a'.repeat(32), spanId: 'b'.repeat(16), sampled: true },
    data,
    topic: 'medic.kill.events',
    partition: 0,
    offset: String(offset),
  };
}
