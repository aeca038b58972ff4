import type { Kafka } from 'kafkajs';
import type { Registry } from 'prom-client';
import type { DataSource } from 'typeorm';
import type { MedicConfig } from '@medic/config';
import { Logger } from '@medic/observability';
import { provisionTopics } from './kafka';
import type { AnyProjection } from './projection';
import { ProjectionRunner } from './projection-runner';
import { TransactionalProcessor, type BatchHandler, type ProcessorSettings, type StatelessBatchHandler } from './transactional-processor';

/** What every step of a service is given by its module. */
export interface StepDeps {
  readonly config: MedicConfig;
  readonly kafka: Kafka;
  /** The service's own schema; null for a service that keeps no state (its steps are all stateless). */
  readonly dataSource: DataSource | null;
  readonly metrics: Registry;
}

/** What a service says about one of its transactional steps; the rest comes from the config. */
export type StepDefinition<R> = Pick<ProcessorSettings<R>, 'step' | 'topics' | 'relevant' | 'onCommitted' | 'serializeHandling' | 'logger' | 'gatherMs'> & {
  /** Default `<group_prefix>-<step>`. */
  readonly groupId?: string;
  readonly handle: BatchHandler<R>;
};

/** The service's database, for what keeps state in it; a service registered without one cannot. */
export function databaseOf(deps: StepDeps): DataSource {
  if (deps.dataSource === null) throw new Error('this service keeps no state and was given no database: only stateless steps can run in it');
  return deps.dataSource;
}

/** A step that keeps no state between rounds (see `StatelessBatchHandler`). */
export type StatelessStepDefinition<R> = Omit<StepDefinition<R>, 'handle' | 'serializeHandling'> & { readonly handle: StatelessBatchHandler<R>; readonly atLeastOnce?: boolean };

/**
 * A transactional step with the kit's defaults: its consumer group and
 * transactional ids, medic.dlq.internal for what it cannot handle, the
 * configured consumer timings, and metrics under its name.
 */
export function transactionalStep<R>(deps: StepDeps, def: StepDefinition<R>): TransactionalProcessor<R> {
  return new TransactionalProcessor<R>({ ...def, ...kitSettings(deps, def), dataSource: databaseOf(deps) });
}

/** A stateless step with the kit's defaults: the same, with no Postgres transaction around its rounds. */
export function statelessStep<R>(deps: StepDeps, def: StatelessStepDefinition<R>): TransactionalProcessor<R> {
  return new TransactionalProcessor<R>({ ...def, ...kitSettings(deps, def), stateless: true });
}

function kitSettings(deps: StepDeps, def: { readonly step: string; readonly groupId?: string }) {
  const { config } = deps;
  const groupId = def.groupId ?? `${config.kafka.consumer.group_prefix}-${def.step}`;
  return {
    groupId,
    transactionalIdPrefix: groupId,
    deadLetterTopic: config.kafka.topics.internal_dlq,
    kafka: deps.kafka,
    maxWaitMs: config.kafka.consumer.max_wait_ms,
    sessionTimeoutMs: config.kafka.consumer.session_timeout_ms,
    metrics: { registry: deps.metrics },
  };
}

/** A projection a service keeps, and the topic it folds. */
export interface ProjectionDefinition {
  readonly projection: AnyProjection;
  topic(config: MedicConfig): string;
}

/**
 * One runner per topic for a service's projections (projections of one topic
 * share a consumer and a transaction per batch), with the kit's defaults. A
 * dead letter is never dead-lettered again: the runner of the dead-letter
 * topic itself has nowhere to send what it cannot read, and logs it.
 */
export async function projectionRunners(deps: StepDeps, step: string, projections: readonly ProjectionDefinition[]): Promise<ProjectionRunner[]> {
  const { config } = deps;
  const byTopic = new Map<string, AnyProjection[]>();
  for (const p of projections) byTopic.set(p.topic(config), [...(byTopic.get(p.topic(config)) ?? []), p.projection]);
  await provisionTopics(deps.kafka, [...byTopic.keys()], { partitions: config.kafka.partitions, replicationFactor: config.kafka.replication_factor });
  const deadLetterTopic = config.kafka.topics.internal_dlq;
  return [...byTopic].map(
    ([topic, list]) =>
      new ProjectionRunner({
        kafka: deps.kafka,
        dataSource: databaseOf(deps),
        step,
        projections: list,
        topic,
        deadLetterTopic: topic === deadLetterTopic ? null : deadLetterTopic,
        groupId: `${config.kafka.consumer.group_prefix}-${step}-${list.map((p) => p.name).join('-')}`,
        maxWaitMs: config.kafka.consumer.max_wait_ms,
        sessionTimeoutMs: config.kafka.consumer.session_timeout_ms,
        metrics: { registry: deps.metrics },
        logger: new Logger(`medic.${step}.projection`),
      }),
  );
}
