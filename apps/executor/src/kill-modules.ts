import { readStream, type StreamProjection } from '@medic/eventlog';
import { KillModule } from './executor.schema';

/**
 * Each decided kill's module and validity window, for approvals that name only the kill: folded
 * from DecisionMade in the executor step's own transaction, before the
 * round's handlers run, so an approval in the same round finds it.
 */
export const KILL_MODULES: StreamProjection<'kill', KillModule> = {
  name: 'executor.kill_modules',
  entity: KillModule,
  read: readStream('kill', ['DecisionMade']),
  keyOf: (e) => e.data.killId,
  evolve: (row, { data: e }) => {
    if (row !== null || e.type !== 'DecisionMade') return row;
    return Object.assign(new KillModule(), { killId: e.killId, targetModule: e.targetModule, validMinutes: e.decision.timeoutMinutes });
  },
};
