import { dependencyWait, evolveCascadeKill, type CascadeKill, type KillEvent } from '@medic/domain';
import { readStream, type LoggedEvent, type StreamProjection } from '@medic/eventlog';
import type { ExecutorRound } from '../executor.step';
import { CascadeKillRow } from '../executor.schema';

/** The kill events that say a kill's module came back, or will not on this kill. */
export const CASCADE_SETTLING = ['ResurrectionSucceeded', 'ResurrectionFailed', 'DecisionMade', 'ApprovalDenied', 'ApprovalExpired', 'ResurrectionVetoed'] as const;

/**
 * Each kill's place in a cascade (projection "executor.cascade_kills"), folded in the
 * executor step's own transaction before its handlers run, like its other projections.
 */
export const CASCADE_KILLS: StreamProjection<'kill', CascadeKillRow> = {
  name: 'executor.cascade_kills',
  entity: CascadeKillRow,
  read: readStream('kill', ['KillReported', ...CASCADE_SETTLING]),
  keyOf: (e) => e.data.killId,
  evolve: (row, logged: LoggedEvent<KillEvent>) => {
    const facts = row === null ? null : cascadeKill(row);
    const next = evolveCascadeKill(facts, logged.data);
    if (next === null) return null;
    if (next === facts) return row;
    return Object.assign(new CascadeKillRow(), {
      killId: next.killId,
      targetModule: next.module,
      dependents: [...next.dependents],
      reportedAt: new Date(next.reportedAt),
      doneAt: next.doneAt === null ? null : new Date(next.doneAt),
    });
  },
};

function cascadeKill(row: CascadeKillRow): CascadeKill {
  return { killId: row.killId, module: row.targetModule, dependents: row.dependents, reportedAt: row.reportedAt.toISOString(), doneAt: row.doneAt?.toISOString() ?? null };
}

/**
 * Holds an approved resurrection back while a module its module depends on, killed in the
 * same cascade, may still come back: appends ResurrectionDeferred naming those kills (the
 * kill stays APPROVED), and the kill workflow's timer resumes it to look again. Returns
 * false when it may start now (nothing to wait for, the wait is over, or the kill was
 * reported before the executor kept cascades).
 */
export async function waitsForDependencies(round: ExecutorRound, cause: LoggedEvent<KillEvent>): Promise<boolean> {
  const { cascade } = round.settings;
  if (cascade.windowSeconds <= 0) return false;
  const own = await round.tx.findOneBy(CascadeKillRow, { killId: cause.data.killId });
  if (own === null) return false;
  const dependent = cascadeKill(own);
  const windowMs = cascade.windowSeconds * 1000;
  const upstream = await round.tx
    .createQueryBuilder(CascadeKillRow, 'k')
    .where(':module = ANY(k.dependents)', { module: dependent.module })
    .andWhere('k.done_at IS NULL')
    .andWhere('k.reported_at BETWEEN :from AND :to', { from: new Date(own.reportedAt.getTime() - windowMs), to: new Date(own.reportedAt.getTime() + windowMs) })
    .getMany();
  const at = round.now().toISOString();
  const wait = dependencyWait(dependent, upstream.map(cascadeKill), cascade, at);
  if (wait === null) return false;
  round.append(
    { type: 'ResurrectionDeferred', killId: dependent.killId, at, notBefore: wait.notBefore, reason: wait.reason, attempt: 0, waitsForKillIds: wait.waitsFor.map((k) => k.killId) },
    cause,
  );
  return true;
}
