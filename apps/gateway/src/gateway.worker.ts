import { Inject, Injectable } from '@nestjs/common';
import type { Kafka } from 'kafkajs';
import type { Registry } from 'prom-client';
import type { DataSource } from 'typeorm';
import type { MedicConfig } from '@medic/config';
import { DATA_SOURCE, provisionTopics, KAFKA, MEDIC_CONFIG, METRICS, ProjectionRunner, type LogWorker } from '@medic/eventlog';
import { counter, Logger } from '@medic/observability';
import type { KillView } from './decisions/kill-view.entity';
import { killsProjection } from './decisions/kills.projection';

/** Keeps the gateway's read model of kills and decisions up to date with the log. */
@Injectable()
export class GatewayWorker implements LogWorker {
  private runner: ProjectionRunner<'kill', KillView> | null = null;
  private readonly applied;

  constructor(
    @Inject(MEDIC_CONFIG) private readonly config: MedicConfig,
    @Inject(KAFKA) private readonly kafka: Kafka,
    @Inject(DATA_SOURCE) private readonly dataSource: DataSource,
    @Inject(METRICS) metrics: Registry,
  ) {
    this.applied = counter(metrics, 'medic_projection_events_applied_total', 'Events folded into a projection', ['projection']);
  }

  async start(): Promise<void> {
    const { config } = this;
    const topic = config.kafka.topics.kill_events;
    await provisionTopics(this.kafka, [topic], { partitions: config.kafka.partitions, replicationFactor: config.kafka.replication_factor });
    this.runner = new ProjectionRunner({
      kafka: this.kafka,
      dataSource: this.dataSource,
      projection: killsProjection,
      topic,
      groupId: `${config.kafka.consumer.group_prefix}-gateway-kills`,
      maxWaitMs: config.kafka.consumer.max_wait_ms,
      sessionTimeoutMs: config.kafka.consumer.session_timeout_ms,
      logger: new Logger('medic.gateway.projection'),
      onApplied: (n) => this.applied.inc({ projection: killsProjection.name }, n),
    });
    await this.runner.start();
  }

  async stop(): Promise<void> {
    await this.runner?.stop();
  }
}
