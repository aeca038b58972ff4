import { Controller, Get, HttpException, Inject } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiSecurity, ApiTags } from '@nestjs/swagger';
import type { DataSource } from 'typeorm';
import type { MedicConfig } from '@medic/config';
import { DATA_SOURCE, MEDIC_CONFIG } from '@medic/eventlog';
import { Public } from '../auth/roles';
import { ApiError } from '../http/envelope';
import { MEDIC_VERSION } from '../version';
import { SystemProbe } from './system.probe';

@ApiTags('system')
@Controller()
export class HealthController {
  constructor(
    private readonly probe: SystemProbe,
    @Inject(MEDIC_CONFIG) private readonly config: MedicConfig,
    @Inject(DATA_SOURCE) private readonly dataSource: DataSource,
  ) {}

  /** Public for load balancers and probes; says nothing secret. Unhealthy answers 503. */
  @Public()
  @Get('health')
  @ApiOperation({ summary: 'Health check (spec 13.2); no API key needed' })
  @ApiOkResponse({ description: '{status: healthy|degraded|unhealthy, checks, version, uptime_seconds}' })
  async health(): Promise<Record<string, unknown>> {
    const [database, kafka] = await Promise.all([this.probe.database(), this.probe.kafkaBroker()]);
    const status = database === 'ok' && kafka === 'ok' ? 'healthy' : database === 'error' ? 'unhealthy' : 'degraded';
    const body = { status, checks: { database, kafka }, version: MEDIC_VERSION, uptime_seconds: this.probe.uptimeSeconds() };
    if (status === 'unhealthy') throw new ApiError(503, 'unhealthy', `Medic is unhealthy: database ${database}, kafka ${kafka}`);
    return body;
  }

  @ApiSecurity('api-key')
  @Get('status')
  @ApiOperation({ summary: 'System status: mode, safety limits, projection lag, decision counts' })
  async status(): Promise<Record<string, unknown>> {
    const c = this.config;
    const [lag, counts] = await Promise.all([
      this.probe.projectionLag().catch((error: unknown) => {
        throw new HttpException(`the event log is not reachable: ${(error as Error).message}`, 503);
      }),
      this.dataSource.query<{ outcome: string; n: number }[]>(`SELECT outcome, count(*)::int AS n FROM kills WHERE outcome IS NOT NULL GROUP BY outcome`),
    ]);
    return {
      version: MEDIC_VERSION,
      uptime_seconds: this.probe.uptimeSeconds(),
      mode: { current: c.mode.current, fallback: c.mode.fallback },
      auto_approve: c.decision.auto_approve,
      constraints: c.constraints,
      topics: { kill_notifications: c.smith.event_bus.topic, dead_letters: c.smith.event_bus.dlq_topic, kill_events: c.kafka.topics.kill_events, control_events: c.kafka.topics.control_events },
      projections: [lag],
      decisions: { total: counts.reduce((s, r) => s + r.n, 0), by_outcome: Object.fromEntries(counts.map((r) => [r.outcome, r.n])) },
    };
  }
}
