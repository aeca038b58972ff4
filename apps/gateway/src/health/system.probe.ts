import { Inject, Injectable } from '@nestjs/common';
import type { Kafka } from 'kafkajs';
import type { DataSource } from 'typeorm';
import type { MedicConfig } from '@medic/config';
import { DATA_SOURCE, endOffsets, KAFKA, MEDIC_CONFIG, ProjectionOffset } from '@medic/eventlog';
import { killsProjection } from '../decisions/kills.projection';

export type CheckResult = 'ok' | 'error';

export interface ProjectionLag {
  readonly name: string;
  readonly topic: string;
  readonly lag: number;
  readonly partitions: readonly { readonly partition: number; readonly applied: string | null; readonly end: string }[];
}

/** Looks at the outside world the gateway depends on, each check bounded in time. */
@Injectable()
export class SystemProbe {
  readonly startedAt = Date.now();

  constructor(
    @Inject(MEDIC_CONFIG) private readonly config: MedicConfig,
    @Inject(KAFKA) private readonly kafka: Kafka,
    @Inject(DATA_SOURCE) private readonly dataSource: DataSource,
  ) {}

  uptimeSeconds(): number {
    return Math.floor((Date.now() - this.startedAt) / 1000);
  }

  async database(): Promise<CheckResult> {
    return within(2000, this.dataSource.query('SELECT 1').then(() => 'ok' as const));
  }

  async kafkaBroker(): Promise<CheckResult> {
    return within(3000, this.projectionLag().then(() => 'ok' as const));
  }

  /** How many events of the kill log the decisions view has not applied yet. */
  async projectionLag(): Promise<ProjectionLag> {
    const topic = this.config.kafka.topics.kill_events;
    const [ends, applied] = await Promise.all([
      endOffsets(this.kafka, topic),
      this.dataSource.getRepository(ProjectionOffset).findBy({ projection: killsProjection.name, topic }),
    ]);
    const done = new Map(applied.map((o) => [o.partition, BigInt(o.offset) + 1n]));
    let lag = 0n;
    const partitions = [...ends].map(([partition, end]) => {
      const next = done.get(partition) ?? 0n;
      // The last record of a partition may be a transaction marker, which no consumer is shown.
      if (end - next > 1n) lag += end - next;
      return { partition, applied: done.has(partition) ? (next - 1n).toString() : null, end: end.toString() };
    });
    return { name: killsProjection.name, topic, lag: Number(lag), partitions };
  }
}

async function within(ms: number, check: Promise<'ok'>): Promise<CheckResult> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<CheckResult>((resolve) => {
    timer = setTimeout(() => resolve('error'), ms);
  });
  try {
    return await Promise.race([check.catch(() => 'error' as const), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
