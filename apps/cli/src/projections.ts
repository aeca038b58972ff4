import type { Kafka } from 'kafkajs';
import type { DataSource } from 'typeorm';
import { toMonitorSettings, type MedicConfig } from '@medic/config';
import type { AnyProjection, RebuildResult } from '@medic/eventlog';
import { DECISION_DDL, DECISION_ENTITIES } from '../../decision/src/decision.schema';
import { rebuildWorkflowState, WORKFLOW_STATE_NAME } from '../../decision/src/workflow/rebuild-workflow-state';
import { EXECUTOR_PROJECTIONS } from '../../executor/src/backoff/module-standing';
import { EXECUTOR_DDL, EXECUTOR_ENTITIES, EXECUTOR_STEP } from '../../executor/src/executor.schema';
import { rebuildRollbackClaims, ROLLBACK_CLAIMS_NAME } from '../../executor/src/rebuild-rollback-claims';
import { GATEWAY_PROJECTIONS, GATEWAY_SCHEMA, GATEWAY_STEP } from '../../gateway/src/gateway.projections';
import { LEARNING_PROJECTIONS, LEARNING_STEP } from '../../learning/src/learning.projections';
import { LEARNING_DDL, LEARNING_ENTITIES } from '../../learning/src/learning.schema';
import { MONITOR_DDL } from '../../monitor/src/monitor.schema';
import { MONITOR_STATE_NAME, rebuildMonitorState } from '../../monitor/src/rebuild-monitor-state';
import { NEGOTIATOR_DDL, NEGOTIATOR_ENTITIES } from '../../negotiator/src/negotiator.schema';
import { NEGOTIATOR_STATE_NAME, rebuildNegotiatorState } from '../../negotiator/src/rebuild-negotiator-state';

/** Every projection `medic replay rebuild` knows, with where it lives and the live step that folds it (whose dead letters the rebuild heeds). */
export interface RebuildTarget {
  readonly projection: AnyProjection;
  readonly schema: ServiceSchema;
  readonly step: string;
  topic(config: MedicConfig): string;
}

export interface ServiceSchema {
  readonly schema: string;
  readonly entities: readonly (new () => object)[];
  readonly ddl: readonly string[];
}

/**
 * A service's own state that is more than a projection of one topic: what
 * its step has read of others' events, what it appended itself, and what its
 * committed rounds are still appending (see foldStepHistory).
 */
export interface StateRebuild {
  readonly name: string;
  readonly schema: ServiceSchema;
  rebuild(args: { readonly kafka: Kafka; readonly dataSource: DataSource; readonly config: MedicConfig }): Promise<RebuildResult>;
}

const EXECUTOR_SCHEMA = { schema: 'executor', entities: EXECUTOR_ENTITIES, ddl: EXECUTOR_DDL };

export const PROJECTIONS: readonly RebuildTarget[] = [
  ...GATEWAY_PROJECTIONS.map((p) => ({ ...p, schema: GATEWAY_SCHEMA, step: GATEWAY_STEP })),
  // The executor's step folds its kill-log projections, its runner the releases: both go by its name.
  ...EXECUTOR_PROJECTIONS.map((p) => ({ ...p, schema: EXECUTOR_SCHEMA, step: EXECUTOR_STEP })),
  ...LEARNING_PROJECTIONS.map((p) => ({ ...p, schema: { schema: 'learning', entities: LEARNING_ENTITIES, ddl: LEARNING_DDL }, step: LEARNING_STEP })),
];

export const STATE_REBUILDS: readonly StateRebuild[] = [
  {
    // The kill workflow's state (kills, module history, timers), in the decision service's schema.
    name: WORKFLOW_STATE_NAME,
    schema: { schema: 'decision', entities: DECISION_ENTITIES, ddl: DECISION_DDL },
    rebuild: ({ kafka, dataSource, config }) =>
      rebuildWorkflowState({
        kafka,
        dataSource,
        killEventsTopic: config.kafka.topics.kill_events,
        controlTopic: config.kafka.topics.control_events,
        deadLetterTopic: config.kafka.topics.internal_dlq,
      }),
  },
  {
    name: NEGOTIATOR_STATE_NAME,
    schema: { schema: 'negotiator', entities: NEGOTIATOR_ENTITIES, ddl: NEGOTIATOR_DDL },
    rebuild: ({ kafka, dataSource, config }) => rebuildNegotiatorState({ kafka, dataSource, killEventsTopic: config.kafka.topics.kill_events, deadLetterTopic: config.kafka.topics.internal_dlq }),
  },
  {
    // Which kills the executor has begun rolling back: one claim per kill.
    name: ROLLBACK_CLAIMS_NAME,
    schema: EXECUTOR_SCHEMA,
    rebuild: ({ kafka, dataSource, config }) => rebuildRollbackClaims({ kafka, dataSource, killEventsTopic: config.kafka.topics.kill_events, deadLetterTopic: config.kafka.topics.internal_dlq }),
  },
  {
    name: MONITOR_STATE_NAME,
    schema: { schema: 'monitor', entities: [], ddl: MONITOR_DDL },
    rebuild: ({ kafka, dataSource, config }) => rebuildMonitorState({ kafka, dataSource, killEventsTopic: config.kafka.topics.kill_events, deadLetterTopic: config.kafka.topics.internal_dlq, settings: toMonitorSettings(config) }),
  },
];
