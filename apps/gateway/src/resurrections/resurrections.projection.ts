import type { KillEvent, KillEventOf } from '@medic/domain';
import { readStream, type LoggedEvent, type StreamProjection } from '@medic/eventlog';
import { ResurrectionView } from './resurrection-view.entity';

type ResurrectionEvent = KillEventOf<
  'ResurrectionStarted' | 'ResurrectionSucceeded' | 'ResurrectionFailed' | 'RollbackRequested' | 'RollbackStarted' | 'RollbackCompleted' | 'RollbackFailed'
>;

/** Each resurrection request, from its intent to its result, and its rollback if one was asked for. */
export const resurrectionsProjection: StreamProjection<'kill', ResurrectionView> = {
  name: 'gateway.resurrections',
  // 2: rollbacks. 3: requests refused before anything was started. 4: spec 2.4's statuses (in_progress, completed).
  version: 4,
  entity: ResurrectionView,
  read: readStream('kill', ['ResurrectionStarted', 'ResurrectionSucceeded', 'ResurrectionFailed', 'RollbackRequested', 'RollbackStarted', 'RollbackCompleted', 'RollbackFailed']),
  keyOf: (e) => (e.data as ResurrectionEvent).requestId,
  evolve: evolveResurrection,
};

export function evolveResurrection(row: ResurrectionView | null, logged: LoggedEvent<KillEvent>): ResurrectionView | null {
  const e = logged.data as ResurrectionEvent;
  if (e.type === 'ResurrectionStarted') {
    return row ?? request(e, { targetModule: e.targetModule, targetInstanceId: e.targetInstanceId, approvedBy: e.approvedBy, attempt: e.attempt, status: 'in_progress', containerId: e.containerId });
  }
  // Refused before anything was started (blacklisted, its approval stale: no attempt made; the engine failing to describe
  // the container: the attempt it was to be): a request of its own, failed at once.
  if (row === null && e.type === 'ResurrectionFailed' && e.targetModule !== null) {
    const { targetModule } = e;
    return request(e, { targetModule, targetInstanceId: targetModule, approvedBy: e.approvedBy ?? 'unknown', attempt: e.attempt ?? 0, status: 'failed', finishedAt: new Date(e.at), failureReason: e.reason, retriable: e.retriable });
  }
  // Any other result without its intent belongs to no request this view knows.
  if (row === null) return null;
  const next = (changes: Partial<ResurrectionView>) => Object.assign(new ResurrectionView(), row, changes);
  switch (e.type) {
    case 'ResurrectionSucceeded':
      return next({ status: 'completed', containerId: e.containerId, finishedAt: new Date(e.at), durationMs: e.durationMs });
    case 'ResurrectionFailed':
      return next({ status: 'failed', finishedAt: new Date(e.at), failureReason: e.reason, retriable: e.retriable });
    case 'RollbackRequested':
      return next({ rollbackStatus: 'requested', rollbackActor: e.actor, rollbackReason: e.reason });
    case 'RollbackStarted':
      return next({ rollbackStatus: 'rolling_back', rollbackActor: e.actor, rollbackReason: e.reason });
    case 'RollbackCompleted':
      return next({ status: 'rolled_back', rollbackStatus: 'rolled_back', rolledBackAt: new Date(e.at) });
    case 'RollbackFailed':
      return next({ rollbackStatus: 'failed', rollbackFailure: e.reason });
  }
}

/** A request as it first appears: what `fields` say, nothing else done yet. */
function request(e: { requestId: string; killId: string; at: string }, fields: Pick<ResurrectionView, 'targetModule' | 'targetInstanceId' | 'approvedBy' | 'attempt' | 'status'> & Partial<ResurrectionView>): ResurrectionView {
  return Object.assign(new ResurrectionView(), {
    requestId: e.requestId,
    killId: e.killId,
    containerId: null,
    requestedAt: new Date(e.at),
    finishedAt: null,
    durationMs: null,
    failureReason: null,
    retriable: null,
    rollbackStatus: null,
    rollbackActor: null,
    rollbackReason: null,
    rolledBackAt: null,
    rollbackFailure: null,
    ...fields,
  });
}
