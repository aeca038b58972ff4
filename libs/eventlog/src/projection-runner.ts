import type { Consumer, Kafka } from 'kafkajs';
import type { DataSource, ObjectLiteral } from 'typeorm';
import type { StreamName } from '@medic/contracts';
import { Logger } from '@medic/observability';
import { logConsumerConfig } from './kafka';
import { applyRecords, ProjectionOffset, type Projection } from './projection';

export interface ProjectionRunnerOptions<S extends StreamName, Row extends ObjectLiteral> {
  readonly kafka: Kafka;
  readonly dataSource: DataSource;
  readonly projection: Projection<S, Row>;
  readonly topic: string;
  /** The consumer group only spreads partitions over replicas; positions live in Postgres. */
  readonly groupId: string;
  readonly maxWaitMs: number;
  readonly sessionTimeoutMs: number;
  readonly logger?: Logger;
  readonly onApplied?: (count: number) => void;
}

/** Keeps one projection up to date with the log, row and offset in one transaction. */
export class ProjectionRunner<S extends StreamName, Row extends ObjectLiteral> {
  private readonly consumer: Consumer;
  private readonly logger: Logger;

  constructor(private readonly opts: ProjectionRunnerOptions<S, Row>) {
    this.logger = opts.logger ?? new Logger(`medic.projection.${opts.projection.name}`);
    this.consumer = opts.kafka.consumer(logConsumerConfig(opts.groupId, opts.maxWaitMs, opts.sessionTimeoutMs));
  }

  async start(): Promise<void> {
    const { topic, projection, dataSource } = this.opts;
    await this.consumer.connect();
    this.consumer.on(this.consumer.events.GROUP_JOIN, ({ payload }) => {
      const partitions = payload.memberAssignment[topic] ?? [];
      void this.seekToStored(partitions).catch((error: unknown) =>
        this.logger.error('could not seek to stored offsets; records already applied will be skipped', { error }),
      );
    });
    await this.consumer.subscribe({ topic, fromBeginning: true });
    await this.consumer.run({
      autoCommit: false,
      partitionsConsumedConcurrently: 1,
      eachBatch: async (payload) => {
        const { batch } = payload;
        if (batch.messages.length === 0) return;
        const applied = await dataSource.transaction((tx) =>
          applyRecords(tx, projection, { topic: batch.topic, partition: batch.partition, messages: batch.messages }),
        );
        await payload.heartbeat();
        if (applied > 0) this.opts.onApplied?.(applied);
      },
    });
  }

  async stop(): Promise<void> {
    await this.consumer.disconnect();
  }

  private async seekToStored(partitions: readonly number[]): Promise<void> {
    const { topic, projection, dataSource } = this.opts;
    const rows = await dataSource.getRepository(ProjectionOffset).findBy({ projection: projection.name, topic });
    for (const row of rows) {
      if (partitions.includes(row.partition)) {
        this.consumer.seek({ topic, partition: row.partition, offset: (BigInt(row.offset) + 1n).toString() });
      }
    }
  }
}
