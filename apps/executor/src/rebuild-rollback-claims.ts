import type { Kafka } from 'kafkajs';
import type { DataSource, EntityManager } from 'typeorm';
import type { KillEvent, RollbackStarted } from '@medic/domain';
import { rebuildStepState, type LoggedEvent, type RebuildResult } from '@medic/eventlog';
import { EXECUTOR_SOURCE } from './executor.handlers';
import { EXECUTOR_STEP } from './executor.schema';
import { claimRollback } from './rollback.handlers';

export const ROLLBACK_CLAIMS_NAME = 'executor.kill_rollbacks';

function isOwnIntent(logged: LoggedEvent<KillEvent>): logged is LoggedEvent<RollbackStarted> {
  return logged.source === EXECUTOR_SOURCE && logged.data.type === 'RollbackStarted';
}

/**
 * Drops the executor's rollback claims and folds them again, in one
 * transaction, from the intents it appended (RollbackStarted), including
 * those its committed rounds have yet to append: the first intent of a kill
 * is its claim, as it was live. A RollbackStarted from any other source is
 * none of the executor's intents and is passed over, as the live step does.
 */
export function rebuildRollbackClaims(args: { readonly kafka: Kafka; readonly dataSource: DataSource; readonly killEventsTopic: string; readonly deadLetterTopic: string }): Promise<RebuildResult> {
  return rebuildStepState({
    name: ROLLBACK_CLAIMS_NAME,
    kafka: args.kafka,
    dataSource: args.dataSource,
    tables: ['kill_rollbacks'],
    stream: 'kill',
    topic: args.killEventsTopic,
    deadLetterTopic: args.deadLetterTopic,
    step: EXECUTOR_STEP,
    ownSources: [EXECUTOR_SOURCE],
    pendingOf: [EXECUTOR_STEP],
    wanted: (type) => type === 'RollbackStarted',
    fold: claimAll,
  });
}

async function claimAll(tx: EntityManager, events: readonly LoggedEvent<KillEvent>[]): Promise<number> {
  let applied = 0;
  for (const logged of events) {
    if (!isOwnIntent(logged)) continue;
    const { killId, requestId, actor, at } = logged.data;
    if (await claimRollback(tx, killId, requestId, actor, new Date(at))) applied += 1;
  }
  return applied;
}
