import { Controller, Get, Inject } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiSecurity, ApiTags } from '@nestjs/swagger';
import type { DataSource } from 'typeorm';
import { redactUrlPassword, type MedicConfig } from '@medic/config';
import { containerEngineEndpoint } from '@medic/containers';
import { ApiError, DATA_SOURCE, MEDIC_CONFIG, readTallies } from '@medic/eventlog';
import { Public } from '../auth/roles';
import { ModuleStandings } from '../modules/module-standings';
import { killsProjection } from '../decisions/kills.projection';
import { MEDIC_VERSION } from '@medic/observability';
import { unreadSteps } from './backlog';
import { stackServices } from './stack-services';
import { SystemProbe } from './system.probe';
import { ThresholdsInForce } from '../config/thresholds-in-force';

/** The steps that dead-letter what they cannot handle. */
const STEPS = ['listener', 'decision', 'enrichment', 'enrichment-report', 'negotiator', 'negotiator-answers', 'executor', 'monitor', 'gateway'];
/** Kills of the burst window counted on /status, at most. */
const RECENT_KILLS_COUNTED = 100_000;
/** How long a dead letter keeps its step degraded. */
export const DEAD_LETTER_WINDOW_MS = 3_600_000;

/** What GET /status counts over the kills. */
interface KillCounts {
  readonly outcomes: readonly { readonly outcome: string; readonly n: number }[];
  readonly approvals: readonly { readonly status: string; readonly n: number }[];
  /** Kills reported within the burst window, counted up to RECENT_KILLS_COUNTED. */
  readonly recent: number;
}

interface StepHealth {
  /** unknown: its dead letters could not be read in time (Postgres not answering). */
  readonly status: 'ok' | 'degraded' | 'unknown';
  readonly dead_letters_last_hour: number | null;
  readonly last_dead_letter?: { readonly at: string; readonly code: string; readonly reason: string };
  /** Set while no service reads for the step and offsets wait for it. */
  readonly unread?: { readonly group: string; readonly waiting: number; readonly reason: string };
}

/** The steps of enrichment, which reads nothing while no SIEM is configured. */
const SIEM_STEPS = new Set(['enrichment', 'enrichment-report']);

@ApiTags('system')
@Controller()
export class HealthController {
  constructor(
    private readonly probe: SystemProbe,
    @Inject(MEDIC_CONFIG) private readonly config: MedicConfig,
    @Inject(DATA_SOURCE) private readonly dataSource: DataSource,
    private readonly modules: ModuleStandings,
    private readonly thresholds: ThresholdsInForce,
  ) {}

  /**
   * Public for load balancers and probes; says nothing secret. Unhealthy
   * answers 503. Each check is bounded (see SystemProbe), so the answer comes in a
   * few seconds even while Postgres or the broker hangs.
   */
  @Public()
  @Get('health')
  @ApiOperation({ summary: 'Health check (spec 13.2); no API key needed' })
  @ApiOkResponse({ description: '{status: healthy|degraded|unhealthy, checks, version, uptime_seconds}' })
  async health(): Promise<Record<string, unknown>> {
    const [database, { kafka, smith }, { steps, consumers }, siem, circuits, pending, engine] = await Promise.all([
      this.probe.database(),
      this.probe.topics(),
      this.stepHealth(),
      this.probe.siem(),
      this.probe.siemCircuits(),
      this.probe.pendingApprovals(),
      this.probe.containerEngine(),
    ]);
    const letters = Object.values(steps).map((s) => (s.dead_letters_last_hour === null ? 'unknown' : s.dead_letters_last_hour > 0 ? 'degraded' : 'ok'));
    const deadLetters = letters.includes('unknown') ? 'unknown' : letters.includes('degraded') ? 'degraded' : 'ok';
    // A SIEM that does not answer, or whose breaker is open, degrades decisions (never auto-approved).
    const siemCheck = siem === 'ok' && circuits.some((c) => c.state === 'open') ? 'circuit_open' : siem;
    const siemOk = siemCheck === 'ok' || siemCheck === 'not_configured';
    // The approval queue is full once interfaces.approval_queue.max_pending items wait for a human.
    const queue = pending === null ? 'unknown' : pending >= this.config.interfaces.approval_queue.max_pending ? 'full' : 'ok';
    // Without the container engine Medic still decides, but brings nothing back and watches nothing.
    const engineOk = engine === 'ok' || engine === 'not_configured';
    // A step with work waiting and no service reading for it decides or does nothing until one comes back.
    const allOk = database === 'ok' && kafka === 'ok' && smith === 'ok' && deadLetters === 'ok' && consumers !== 'degraded' && siemOk && queue === 'ok' && engineOk;
    const status = database === 'error' ? 'unhealthy' : allOk ? 'healthy' : 'degraded';
    const body = {
      status,
      checks: { smith_connection: smith, siem_connection: siemCheck, database, queue, kafka, container_engine: engine, dead_letters: deadLetters, step_consumers: consumers },
      steps,
      version: MEDIC_VERSION,
      uptime_seconds: this.probe.uptimeSeconds(),
    };
    // Every check is still shown: what else is wrong is what an operator needs next.
    if (status === 'unhealthy') throw new ApiError(503, 'unhealthy', `Medic is unhealthy: database ${database}, kafka ${kafka}`, undefined, body);
    return body;
  }

  /**
   * Each step is degraded while records it could not handle are recent (see
   * DEAD_LETTER_WINDOW_MS), unknown while they cannot be read; and degraded
   * while nothing reads for it and offsets wait (`step_consumers`: unknown
   * while the broker does not tell; enrichment's steps only count with a SIEM
   * configured).
   */
  private async stepHealth(): Promise<{ steps: Record<string, StepHealth>; consumers: 'ok' | 'degraded' | 'unknown' }> {
    const [recent, groups] = await Promise.all([this.probe.deadLetters(DEAD_LETTER_WINDOW_MS), this.probe.consumerGroups()]);
    const steps: Record<string, StepHealth> = Object.fromEntries(STEPS.map((step) => [step, recent === null ? { status: 'unknown', dead_letters_last_hour: null } : { status: 'ok', dead_letters_last_hour: 0 }]));
    for (const d of recent ?? []) {
      steps[d.step] = {
        status: 'degraded',
        dead_letters_last_hour: d.count,
        last_dead_letter: { at: d.lastAt.toISOString(), code: d.lastCode, reason: d.lastReason },
      };
    }
    const expected = STEPS.filter((step) => this.config.siem.enabled || !SIEM_STEPS.has(step));
    const unread = groups === null ? [] : unreadSteps(groups, `${this.config.kafka.consumer.group_prefix}-`, expected, (g) => this.probe.stalledSince(g));
    for (const u of unread) steps[u.step] = { ...steps[u.step]!, status: 'degraded', unread: { group: u.group, waiting: u.waiting, reason: u.reason } };
    return { steps, consumers: groups === null ? 'unknown' : unread.length > 0 ? 'degraded' : 'ok' };
  }

  @ApiSecurity('api-key')
  @Get('status')
  @ApiOperation({ summary: 'System status: mode, safety limits, the kill-burst breaker, projection lag and the backlog of each consumer group (null while the event log cannot be read), decision counts, quarantined modules' })
  async status(): Promise<Record<string, unknown>> {
    const c = this.config;
    const burst = c.constraints.kill_burst;
    // The broker, the SIEM, the container engine and the stack file are asked while Postgres
    // answers its part; that part runs on one pooled connection at a time, so a Postgres that
    // hangs holds one connection per request, not one per query.
    const fromPostgres = async () => {
      const counts = await this.killCounts(new Date(Date.now() - burst.window_seconds * 1000));
      const circuits = await this.probe.siemCircuits();
      const quarantined = await this.modules.quarantined();
      return { counts, circuits, quarantined, thresholds: await this.thresholds.current() };
    };
    const [lag, groups, siem, engine, stack, { counts, circuits, quarantined, thresholds }] = await Promise.all([
      // The rest of the status is worth having while the broker is down: the lags are then unknown (null).
      this.probe.projectionLags(),
      this.probe.consumerGroups(),
      this.probe.siem(),
      this.probe.containerEngine(),
      stackServices(),
      fromPostgres(),
    ]);
    const { values, update } = thresholds;
    const { outcomes, approvals, recent } = counts;
    return {
      version: MEDIC_VERSION,
      uptime_seconds: this.probe.uptimeSeconds(),
      mode: { current: c.mode.current, fallback: c.mode.fallback },
      // The limits in force: an admin's last update (PUT /config/thresholds) over the configured ones.
      auto_approve: { ...c.decision.auto_approve, max_risk_level: values.maxRiskLevel, min_confidence: values.minConfidence },
      risk_thresholds: { ...values.thresholds, source: update === null ? 'config' : 'update' },
      constraints: c.constraints,
      // The kill-burst breaker (constraints.kill_burst): tripped while more kills than max_kills were reported within the window.
      kill_burst: { recent_kills: recent, tripped: burst.max_kills > 0 && recent > burst.max_kills, max_kills: burst.max_kills, window_seconds: burst.window_seconds },
      topics: { kill_notifications: c.smith.event_bus.topic, dead_letters: c.smith.event_bus.dlq_topic, kill_events: c.kafka.topics.kill_events, kill_commands: c.kafka.topics.kill_commands, internal_dead_letters: c.kafka.topics.internal_dlq, control_events: c.kafka.topics.control_events },
      event_log: lag === null ? 'error' : 'ok',
      projections: lag,
      // Every step's and projection's consumer group: its state, members, and backlog per topic it reads.
      consumer_groups: groups?.map((g) => {
        const stalled = this.probe.stalledSince(g);
        return { ...g, stalled_since: stalled === null ? null : new Date(stalled).toISOString() };
      }) ?? null,
      siem: {
        enabled: c.siem.enabled,
        endpoint: c.siem.enabled ? redactUrlPassword(c.siem.endpoint) : null,
        connection: siem,
        circuits: circuits.map((b) => ({ siem: b.siem, state: b.state, since: b.since.toISOString(), failure_count: b.failureCount, reason: b.reason })),
      },
      container_engine: { endpoint: containerEngineEndpoint(), connection: engine },
      approval_queue: {
        pending: approvals.find((a) => a.status === 'pending')?.n ?? 0,
        by_status: Object.fromEntries(approvals.map((a) => [a.status, a.n])),
        max_pending: c.interfaces.approval_queue.max_pending,
        timeout_hours: c.interfaces.approval_queue.timeout_hours,
      },
      decisions: { total: outcomes.reduce((s, r) => s + r.n, 0), by_outcome: Object.fromEntries(outcomes.map((r) => [r.outcome, r.n])) },
      // Modules whose kills go to a human until an admin releases them (POST /modules/{name}/release).
      quarantined_modules: quarantined.map((m) => ({ module: m.module, since: m.quarantine!.since, re_kills: m.quarantine!.reKills, reason: m.quarantine!.reason })),
      stack,
    };
  }

  /**
   * Decisions by outcome and approvals by status, from the kills projection's
   * running tallies (one row each, however many kills there are), and the kills
   * of the burst window (counted up to RECENT_KILLS_COUNTED, on their index).
   */
  private async killCounts(burstSince: Date): Promise<KillCounts> {
    const tallies = await readTallies(this.dataSource, killsProjection.name);
    const [row] = await this.dataSource.query<{ recent: number }[]>(`SELECT count(*)::int AS recent FROM (SELECT 1 FROM kills WHERE reported_at > $1 LIMIT $2) r`, [burstSince, RECENT_KILLS_COUNTED]);
    const counted = (prefix: string) =>
      [...tallies]
        .filter(([tally]) => tally.startsWith(prefix))
        .map(([tally, n]) => ({ key: tally.slice(prefix.length), n }))
        .sort((a, b) => a.key.localeCompare(b.key));
    return {
      outcomes: counted('outcome:').map(({ key, n }) => ({ outcome: key, n })),
      approvals: counted('approval:').map(({ key, n }) => ({ status: key, n })),
      recent: row?.recent ?? 0,
    };
  }
}
