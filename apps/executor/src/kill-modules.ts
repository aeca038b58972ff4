import { readStream, type StreamProjection } from '@medic/eventlog';
import { KillModule } from './executor.schema';

/**
 * Each decided kill's module, instance and validity window, for approvals that name only the
 * kill, and the container its resurrection brought back, for a rollback: folded from
 * DecisionMade and ResurrectionSucceeded in the executor step's own transaction, before the
 * round's handlers run, so an approval in the same round finds it.
 */
export const KILL_MODULES: StreamProjection<'kill', KillModule> = {
  name: 'executor.kill_modules',
  entity: KillModule,
  read: readStream('kill', ['DecisionMade', 'ResurrectionSucceeded']),
  keyOf: (e) => e.data.killId,
  evolve: (row, { data: e }) => {
    if (e.type === 'ResurrectionSucceeded') return row === null ? null : Object.assign(new KillModule(), row, { containerId: e.containerId });
    if (row !== null || e.type !== 'DecisionMade') return row;
    return Object.assign(new KillModule(), {
      killId: e.killId,
      targetModule: e.targetModule,
      validMinutes: e.decision.timeoutMinutes,
      targetInstanceId: e.targetInstanceId,
      containerId: null,
    });
  },
};
