import { DomainError } from '@medic/domain';
import type { RejectedRecord } from './dead-letters';
import type { LoggedEvent } from './envelope';
import type { LogDispatch } from './nest/event-log.transport';

/**
 * Hands a partition's events to their handlers, in log order, with what the
 * step gives every handler of its round. An event the domain refuses (a
 * DomainError) or no handler takes is rejected with the reason, for the kit
 * to dead-letter; any other error fails the round.
 */
export async function dispatchEach(events: readonly LoggedEvent<unknown>[], context: unknown, dispatch: LogDispatch, step: string): Promise<RejectedRecord[]> {
  const rejected: RejectedRecord[] = [];
  for (const event of events) {
    try {
      if (!(await dispatch(event.type, event, context))) rejected.push({ offset: event.offset, code: 'unhandled_event_type', reason: `${step} has no handler for ${event.type}` });
    } catch (error) {
      if (!(error instanceof DomainError)) throw error;
      rejected.push({ offset: event.offset, code: error.code, reason: error.message });
    }
  }
  return rejected;
}
