import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import type { Admin, Kafka } from 'kafkajs';
import { In, type DataSource } from 'typeorm';
import type { MedicConfig } from '@medic/config';
import { containerEngineEndpoint, DockerEngine } from '@medic/containers';
import { withTimeout } from '@medic/devstack';
import { DATA_SOURCE, KAFKA, MEDIC_CONFIG, ProjectionOffset, topicEnds } from '@medic/eventlog';
import { DeadLetterView } from '../dead-letters/dead-letter.entity';
import { SiemCircuitView } from '../siem/siem-circuit.entity';
import { GATEWAY_PROJECTIONS } from '../gateway.projections';
import { requestDeadlineMs } from '../http/deadline.interceptor';
import { backlogOf, groupBacklogs, ProgressWatch, type GroupBacklog, type GroupOffsets } from './backlog';
import { KeptAdmin } from './kept-admin';
import { RecentReading } from './recent-reading';

export type CheckResult = 'ok' | 'error';

/** How long a health check may take before it counts as failed, at most (see `SystemProbe.checkMs`). */
const CHECK_MS = 2000;
/** How old the consumer groups' backlog shown may be (see `SystemProbe.consumerGroups`). */
const GROUPS_READ_MS = 2000;
/**
 * How long a step may stay where it is while offsets wait before it counts as
 * stalled: longer than any round should take, a SIEM query waited out to its
 * timeout included.
 */
const STALL_MS = 120_000;

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
export class SystemProbe implements OnModuleDestroy {
  readonly startedAt = Date.now();
  /** Each check's bound: 2 s, or less when the request deadline is short, so that /health answers within it. */
  private readonly checkMs: number;
  private readonly engine = containerEngineEndpoint() === null ? null : new DockerEngine();
  private readonly admin: KeptAdmin;
  private readonly groups: RecentReading<GroupBacklog[]>;
  private readonly progress = new ProgressWatch();

  constructor(
    @Inject(MEDIC_CONFIG) private readonly config: MedicConfig,
    @Inject(KAFKA) kafka: Kafka,
    @Inject(DATA_SOURCE) private readonly dataSource: DataSource,
  ) {
    this.checkMs = Math.min(CHECK_MS, requestDeadlineMs(config) / 2);
    this.admin = new KeptAdmin(kafka);
    const prefix = `${config.kafka.consumer.group_prefix}-`;
    this.groups = new RecentReading(GROUPS_READ_MS, async () => {
      const groups = await orNullAfter(this.checkMs * 1.5, this.admin.use(this.checkMs * 1.5, (admin) => readGroupBacklogs(admin, prefix)));
      if (groups !== null) this.progress.observe(groups, Date.now());
      return groups;
    });
  }

  async onModuleDestroy(): Promise<void> {
    await this.admin.close();
  }

  uptimeSeconds(): number {
    return Math.floor((Date.now() - this.startedAt) / 1000);
  }

  async database(): Promise<CheckResult> {
    return within(this.checkMs, this.dataSource.query('SELECT 1').then(() => 'ok' as const));
  }

  /** Whether the configured SIEM answers (its cluster health), or that none is configured. */
  async siem(): Promise<CheckResult | 'not_configured'> {
    const { siem } = this.config;
    if (!siem.enabled) return 'not_configured';
    const headers: Record<string, string> = siem.api_key ? { Authorization: `ApiKey ${siem.api_key}` } : {};
    const url = new URL('/_cluster/health', siem.endpoint);
    return within(this.checkMs, fetch(url, { headers, signal: AbortSignal.timeout(this.checkMs) }).then((res) => (res.ok ? 'ok' : Promise.reject(new Error(String(res.status))))));
  }

  /**
   * Whether the container engine the executor and the monitor use (DOCKER_HOST, else the
   * default socket) answers its ping: without it no module can be brought back or watched.
   * Not configured when DOCKER_HOST is unset and there is no default socket.
   */
  async containerEngine(): Promise<CheckResult | 'not_configured'> {
    if (this.engine === null) return 'not_configured';
    return (await this.engine.ping(this.checkMs)) ? 'ok' : 'error';
  }

  /** Each SIEM's circuit breaker as last announced; none when Postgres does not tell in time. */
  async siemCircuits(): Promise<SiemCircuitView[]> {
    return (await orNullAfter(this.checkMs, this.dataSource.getRepository(SiemCircuitView).find({ order: { siem: 'ASC' } }))) ?? [];
  }

  /**
   * Whether Medic's event log (its kill events) and Smith's kill notifications
   * can be read (spec 13.2 smith_connection): each topic exists and its
   * partitions have a leader. One admin connection asks for both.
   */
  async topics(): Promise<{ readonly kafka: CheckResult; readonly smith: CheckResult }> {
    const topics = [this.config.kafka.topics.kill_events, this.config.smith.event_bus.topic];
    const answered = await this.admin
      .use(this.checkMs * 1.5, (admin) => Promise.all(topics.map((topic) => admin.fetchTopicOffsets(topic).then(() => 'ok' as const, () => 'error' as const))))
      .catch(() => null);
    return { kafka: answered?.[0] ?? 'error', smith: answered?.[1] ?? 'error' };
  }

  /** How many approvals are pending, or null when Postgres does not tell in time. */
  pendingApprovals(): Promise<number | null> {
    const count = this.dataSource.query<{ n: number }[]>(`SELECT count(*)::int AS n FROM kills WHERE approval_status = 'pending'`).then((rows) => rows[0]?.n ?? 0);
    return orNullAfter(this.checkMs, count);
  }

  /** How many records of its topic each of the gateway's projections has not applied yet; null when the broker or Postgres does not tell in time. */
  projectionLags(): Promise<ProjectionLag[] | null> {
    return orNullAfter(this.checkMs * 1.5, this.readProjectionLags());
  }

  /** One read of the positions and one of each topic's ends, however many projections: a Postgres that hangs holds one pooled connection, not one per projection. */
  private async readProjectionLags(): Promise<ProjectionLag[]> {
    const projections = GATEWAY_PROJECTIONS.map((p) => ({ name: p.projection.name, topic: p.topic(this.config) }));
    const topics = [...new Set(projections.map((p) => p.topic))];
    const [ends, applied] = await Promise.all([
      this.admin.use(this.checkMs * 1.5, (admin) => Promise.all(topics.map(async (topic) => [topic, await topicEnds(admin, topic)] as const))).then((e) => new Map(e)),
      this.dataSource.getRepository(ProjectionOffset).findBy({ projection: In(projections.map((p) => p.name)) }),
    ]);
    return projections.map(({ name, topic }) => lagOf(name, topic, ends.get(topic)!, applied.filter((o) => o.projection === name && o.topic === topic)));
  }

  /**
   * How far behind each of Medic's steps is on each topic it reads: the
   * consumer groups named with the configured group prefix that have
   * committed offsets to the broker (a projection keeps its position in
   * Postgres instead: see `projectionLags`), with the group's state and member
   * count: a group that is `Empty` while its backlog grows has no service
   * reading for it. Null when the broker does not tell in time.
   * It takes a request per group: read at most every GROUPS_READ_MS, however
   * often /status and Prometheus ask.
   */
  consumerGroups(): Promise<GroupBacklog[] | null> {
    return this.groups.get();
  }

  /**
   * Since when a group, connected, has not moved in a partition where offsets
   * wait for it, once that is STALL_MS or more, as far as this gateway has
   * seen (it looks whenever the groups are read); null otherwise.
   */
  stalledSince(group: GroupBacklog, now = Date.now()): number | null {
    return this.progress.stalledSince(group, STALL_MS, now);
  }

  /**
   * Per step, the records sent to the internal dead-letter topic within the
   * window: a step with any is degraded until the window has passed them.
   * Null when Postgres does not tell in time.
   */
  deadLetters(windowMs: number): Promise<StepDeadLetters[] | null> {
    return orNullAfter(this.checkMs, this.readDeadLetters(windowMs));
  }

  private async readDeadLetters(windowMs: number): Promise<StepDeadLetters[]> {
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

}

/** The groups named with `prefix`, described, with their committed offsets and the ends of the topics they read. */
async function readGroupBacklogs(admin: Admin, prefix: string): Promise<GroupBacklog[]> {
  const ids = (await admin.listGroups()).groups.filter((g) => g.groupId.startsWith(prefix) && g.protocolType === 'consumer').map((g) => g.groupId);
  if (ids.length === 0) return [];
  const [{ groups }, committed] = await Promise.all([admin.describeGroups(ids), Promise.all(ids.map((groupId) => admin.fetchOffsets({ groupId })))]);
  const described = new Map(groups.map((g) => [g.groupId, g]));
  // A projection's group has no offsets here: its position is in Postgres.
  const offsets: GroupOffsets[] = ids
    .map((group, i) => ({ group, state: described.get(group)?.state ?? 'Unknown', members: described.get(group)?.members.length ?? 0, committed: committed[i]! }))
    .filter((g) => g.committed.length > 0)
    .sort((a, b) => a.group.localeCompare(b.group));
  const topics = [...new Set(offsets.flatMap((g) => g.committed.map((c) => c.topic)))];
  const ends = new Map(await Promise.all(topics.map(async (topic) => [topic, await topicEnds(admin, topic).catch(() => undefined)] as const)));
  return groupBacklogs(offsets, new Map([...ends].flatMap(([topic, e]) => (e === undefined ? [] : [[topic, e] as const]))));
}

/** A check's answer, 'error' when it fails or does not come within `ms`. */
async function within(ms: number, check: Promise<'ok'>): Promise<CheckResult> {
  return (await orNullAfter(ms, check)) ?? 'error';
}

/** What `work` gives, or null when it fails or does not come within `ms` (a Postgres that hangs rather than refuses). */
function orNullAfter<T>(ms: number, work: Promise<T>): Promise<T | null> {
  return withTimeout(work, ms, () => new Error(`no answer within ${ms} ms`)).catch(() => null);
}

/** How far a projection is behind each partition of its topic, from the topic's ends and the positions it stored. */
function lagOf(name: string, topic: string, ends: ReadonlyMap<number, bigint>, applied: readonly ProjectionOffset[]): ProjectionLag {
  const { lag, partitions } = backlogOf(topic, ends, new Map(applied.map((o) => [o.partition, BigInt(o.offset) + 1n])));
  return { name, topic, lag, partitions: partitions.map((p) => ({ partition: p.partition, applied: p.next === null ? null : (BigInt(p.next) - 1n).toString(), end: p.end })) };
}
