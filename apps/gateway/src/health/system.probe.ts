import { Inject, Injectable } from '@nestjs/common';
import type { Kafka } from 'kafkajs';
import type { DataSource } from 'typeorm';
import type { MedicConfig } from '@medic/config';
import { DATA_SOURCE, endOffsets, KAFKA, MEDIC_CONFIG, ProjectionOffset } from '@medic/eventlog';
import { DeadLetterView } from '../dead-letters/dead-letter.entity';
import { SiemCircuitView } from '../siem/siem-circuit.entity';
import { GATEWAY_PROJECTIONS } from '../gateway.projections';

export type CheckResult = 'ok' | 'error';

export interface ProjectionLag {
  readonly name: string;
  readonly topic: string;
  readonly lag: number;
  readonly partitions: readonly { readonly partition: number; readonly applied: string | null; readonly end: string }[];
}

export interface StepDeadLetters {
  readonly step: string;
  readonly count: number;
  readonly lastAt: Date;
  readonly lastCode: string;
  readonly lastReason: string;
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

  /** Whether the configured SIEM answers (its cluster health), or that none is configured. */
  async siem(): Promise<CheckResult | 'not_configured'> {
    const { siem } = this.config;
    if (!siem.enabled) return 'not_configured';
    const headers: Record<string, string> = siem.api_key ? { Authorization: `ApiKey ${siem.api_key}` } : {};
    const url = new URL('/_cluster/health', siem.endpoint);
    return within(2000, fetch(url, { headers, signal: AbortSignal.timeout(2000) }).then((res) => (res.ok ? 'ok' : Promise.reject(new Error(String(res.status))))));
  }

  /** Each SIEM's circuit breaker as last announced. */
  siemCircuits(): Promise<SiemCircuitView[]> {
    return this.dataSource.getRepository(SiemCircuitView).find({ order: { siem: 'ASC' } });
  }

  async kafkaBroker(): Promise<CheckResult> {
    return within(3000, endOffsets(this.kafka, this.config.kafka.topics.kill_events).then(() => 'ok' as const));
  }

  /** How many records of its topic each of the gateway's projections has not applied yet. */
  async projectionLags(): Promise<ProjectionLag[]> {
    return Promise.all(GATEWAY_PROJECTIONS.map((p) => this.projectionLag(p.projection.name, p.topic(this.config))));
  }

  /**
   * Per step, the records sent to the internal dead-letter topic within the
   * window: a step with any is degraded until the window has passed them.
   */
  async deadLetters(windowMs: number): Promise<StepDeadLetters[]> {
    const rows = await this.dataSource
      .getRepository(DeadLetterView)
      .createQueryBuilder('d')
      .select('d.step', 'step')
      .addSelect('count(*)::int', 'count')
      .addSelect('max(d.failed_at)', 'last_at')
      .addSelect('(array_agg(d.code ORDER BY d.failed_at DESC))[1]', 'last_code')
      .addSelect('(array_agg(d.reason ORDER BY d.failed_at DESC))[1]', 'last_reason')
      .where('d.failed_at >= :since', { since: new Date(Date.now() - windowMs) })
      .groupBy('d.step')
      .orderBy('d.step')
      .getRawMany<{ step: string; count: number; last_at: Date; last_code: string; last_reason: string }>();
    return rows.map((r) => ({ step: r.step, count: r.count, lastAt: new Date(r.last_at), lastCode: r.last_code, lastReason: r.last_reason }));
  }

  private async projectionLag(name: string, topic: string): Promise<ProjectionLag> {
    const [ends, applied] = await Promise.all([endOffsets(this.kafka, topic), this.dataSource.getRepository(ProjectionOffset).findBy({ projection: name, topic })]);
    const done = new Map(applied.map((o) => [o.partition, BigInt(o.offset) + 1n]));
    let lag = 0n;
    const partitions = [...ends].map(([partition, end]) => {
      const next = done.get(partition) ?? 0n;
      // The last record of a partition may be a transaction marker, which no consumer is shown.
      if (end - next > 1n) lag += end - next;
      return { partition, applied: done.has(partition) ? (next - 1n).toString() : null, end: end.toString() };
    });
    return { name, topic, lag: Number(lag), partitions };
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
