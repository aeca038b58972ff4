import { Inject, Injectable } from '@nestjs/common';
import type { Kafka } from 'kafkajs';
import type { Registry } from 'prom-client';
import type { DataSource } from 'typeorm';
import type { MedicConfig } from '@medic/config';
import { DATA_SOURCE, provisionTopics, KAFKA, MEDIC_CONFIG, METRICS, ProjectionRunner, type LogWorker } from '@medic/eventlog';
import { Logger } from '@medic/observability';
import { GATEWAY_PROJECTIONS } from './gateway.projections';

/** Keeps the gateway's read models (kills and decisions, command verdicts, dead letters) up to date with the log. */
@Injectable()
export class GatewayWorker implements LogWorker {
  private runners: ProjectionRunner[] = [];

  constructor(
    @Inject(MEDIC_CONFIG) private readonly config: MedicConfig,
    @Inject(KAFKA) private readonly kafka: Kafka,
    @Inject(DATA_SOURCE) private readonly dataSource: DataSource,
    @Inject(METRICS) private readonly metrics: Registry,
  ) {}

  async start(): Promise<void> {
    const { config } = this;
    const byTopic = new Map<string, (typeof GATEWAY_PROJECTIONS)[number][]>();
    for (const p of GATEWAY_PROJECTIONS) byTopic.set(p.topic(config), [...(byTopic.get(p.topic(config)) ?? []), p]);
    await provisionTopics(this.kafka, [...byTopic.keys()], { partitions: config.kafka.partitions, replicationFactor: config.kafka.replication_factor });
    const deadLetterTopic = config.kafka.topics.internal_dlq;
    this.runners = [...byTopic].map(
      ([topic, projections]) =>
        new ProjectionRunner({
          kafka: this.kafka,
          dataSource: this.dataSource,
          step: 'gateway',
          projections: projections.map((p) => p.projection),
          topic,
          // Never dead-letter a dead letter back to where it came from.
          deadLetterTopic: topic === deadLetterTopic ? null : deadLetterTopic,
          groupId: `${config.kafka.consumer.group_prefix}-gateway-${projections.map((p) => p.projection.name.replace(/^gateway\./, '')).join('-')}`,
          maxWaitMs: config.kafka.consumer.max_wait_ms,
          sessionTimeoutMs: config.kafka.consumer.session_timeout_ms,
          metrics: { registry: this.metrics },
          logger: new Logger('medic.gateway.projection'),
        }),
    );
    await Promise.all(this.runners.map((r) => r.start()));
  }

  async stop(): Promise<void> {
    await Promise.all(this.runners.map((r) => r.stop()));
  }
}
