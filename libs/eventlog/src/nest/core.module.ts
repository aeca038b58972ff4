import { type DynamicModule, Global, Inject, Module, type OnApplicationShutdown } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import type { Kafka } from 'kafkajs';
import type { DataSource } from 'typeorm';
import { kafkaBrokerList, readKafkaSecurity, type MedicConfig } from '@medic/config';
import { createMetricsRegistry, stopTracing } from '@medic/observability';
import { connectionOf, openDatabase, type DatabaseSettings } from '../database';
import { createKafka, type KafkaSettings } from '../kafka';
import { ErrorEnvelopeFilter } from './error-envelope.filter';
import { MetricsController } from './metrics.controller';
import { ReadyController } from './ready.controller';
import type { Registry } from 'prom-client';
import type { StepDeps } from '../service-kit';
import { DATA_SOURCE, KAFKA, MEDIC_CONFIG, METRICS, SERVICE_NAME, STEP_DEPS } from './tokens';

export interface CoreModuleOptions {
  readonly service: string;
  readonly config: MedicConfig;
  /** The service's schema and tables, when it keeps state in Postgres. */
  readonly database?: Omit<DatabaseSettings, 'url'>;
}

/** Config, Kafka, Postgres and metrics for one service: the outside world behind tokens. */
@Global()
@Module({})
export class MedicCoreModule implements OnApplicationShutdown {
  constructor(@Inject(DATA_SOURCE) private readonly dataSource: DataSource | null) {}

  static forRoot(options: CoreModuleOptions): DynamicModule {
    const { config, service, database } = options;
    return {
      module: MedicCoreModule,
      // /metrics only where metrics are enabled (metrics.enabled); /ready everywhere.
      controllers: [ReadyController, ...(config.metrics.enabled ? [MetricsController] : [])],
      providers: [
        { provide: MEDIC_CONFIG, useValue: config },
        { provide: SERVICE_NAME, useValue: service },
        // Every HTTP answer that is an error, on every service, in the spec's envelope.
        { provide: APP_FILTER, useClass: ErrorEnvelopeFilter },
        { provide: METRICS, useFactory: () => createMetricsRegistry(service) },
        { provide: KAFKA, useFactory: (): Kafka => createKafka(kafkaSettings(config, service)) },
        {
          provide: DATA_SOURCE,
          useFactory: async (): Promise<DataSource | null> => (database ? openDatabase({ ...connectionOf(config.database, service), ...database }) : null),
        },
        {
          provide: STEP_DEPS,
          useFactory: (kafka: Kafka, dataSource: DataSource | null, metrics: Registry): StepDeps => ({ config, kafka, dataSource, metrics }),
          inject: [KAFKA, DATA_SOURCE, METRICS],
        },
      ],
      exports: [MEDIC_CONFIG, SERVICE_NAME, METRICS, KAFKA, DATA_SOURCE, STEP_DEPS],
    };
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.dataSource?.isInitialized) await this.dataSource.destroy();
    // The spans still queued are exported before the process ends.
    await stopTracing();
  }
}

export function kafkaSettings(config: MedicConfig, service: string): KafkaSettings {
  return {
    brokers: kafkaBrokerList(config),
    clientId: `${config.kafka.client_id}-${service}`,
    maxWaitMs: config.kafka.consumer.max_wait_ms,
    sessionTimeoutMs: config.kafka.consumer.session_timeout_ms,
    security: readKafkaSecurity(config),
  };
}
