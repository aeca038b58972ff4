import type { KillEvent } from '@medic/domain';
import { readStream, type LoggedEvent, type StreamProjection } from '@medic/eventlog';
import { ResurrectionView } from './resurrection-view.entity';

type ResurrectionEvent = Extract<KillEvent, { type: 'ResurrectionStarted' | 'ResurrectionSucceeded' | 'ResurrectionFailed' }>;

/** Each resurrection request, from its intent to its result. */
export const resurrectionsProjection: StreamProjection<'kill', ResurrectionView> = {
  name: 'gateway.resurrections',
  entity: ResurrectionView,
  read: readStream('kill', ['ResurrectionStarted', 'ResurrectionSucceeded', 'ResurrectionFailed']),
  keyOf: (e) => (e.data as ResurrectionEvent).requestId,
  evolve: evolveResurrection,
};

export function evolveResurrection(row: ResurrectionView | null, logged: LoggedEvent<KillEvent>): ResurrectionView | null {
  const e = logged.data as ResurrectionEvent;
  if (e.type === 'ResurrectionStarted') {
    return row ?? Object.assign(new ResurrectionView(), {
      requestId: e.requestId,
      killId: e.killId,
      targetModule: e.targetModule,
      targetInstanceId: e.targetInstanceId,
      approvedBy: e.approvedBy,
      attempt: e.attempt,
      status: 'executing',
      containerId: e.containerId,
      requestedAt: new Date(e.at),
      finishedAt: null,
      durationMs: null,
      failureReason: null,
      retriable: null,
    });
  }
  // A result without its intent belongs to no request this view knows.
  if (row === null) return null;
  if (e.type === 'ResurrectionSucceeded') {
    return Object.assign(new ResurrectionView(), row, { status: 'succeeded', containerId: e.containerId, finishedAt: new Date(e.at), durationMs: e.durationMs });
  }
  return Object.assign(new ResurrectionView(), row, { status: 'failed', finishedAt: new Date(e.at), failureReason: e.reason, retriable: e.retriable });
}
