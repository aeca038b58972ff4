import { Body, Controller, Get, Headers, Inject, Param, Post, Query as QueryParams, Req, Res } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiAcceptedResponse, ApiBody, ApiConflictResponse, ApiHeader, ApiOkResponse, ApiOperation, ApiQuery, ApiSecurity, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { In, type DataSource } from 'typeorm';
import type { MedicConfig, ProbeConfig } from '@medic/config';
import { DATA_SOURCE, MEDIC_CONFIG } from '@medic/eventlog';
import { KillView } from '../decisions/kill-view.entity';
import type { AuthenticatedRequest } from '../auth/api-key.guard';
import { RequiresRole } from '../auth/roles';
import { pageOf, type Page } from '../http/pagination';
import { parseUuid } from '../http/params';
import { parseResurrectionFilters, RESURRECTION_STATUSES } from '../decisions/decision-filters';
import { parseIdempotencyKey } from '../queue/idempotency';
import { sendCommandAnswer, verdictAbout } from '../queue/logged-commands';
import { CommandStatusDto, toCommandStatusDto } from '../queue/queue.dto';
import { ResurrectionView } from './resurrection-view.entity';
import { findResurrection, parseRollbackReason, RollBackResurrectionCommand, rollbackStatusUrl } from './rollback.command';

/** What spec 2.4 names beside the request itself: its decision and approval (from the kills view) and how it is watched (from the config). */
interface RequestContext {
  readonly decisionId: string | null;
  readonly approvedAt: Date | null;
  readonly monitoringDurationMinutes: number;
  readonly healthChecks: readonly string[];
}

/** A resurrection request (spec 2.4) and where it stands. */
function toDto(v: ResurrectionView, c: RequestContext): Record<string, unknown> {
  return {
    request_id: v.requestId,
    decision_id: c.decisionId,
    kill_id: v.killId,
    target_module: v.targetModule,
    target_instance_id: v.targetInstanceId,
    approved_by: v.approvedBy,
    attempt: v.attempt,
    status: v.status,
    container_id: v.containerId,
    created_at: v.requestedAt.toISOString(),
    requested_at: v.requestedAt.toISOString(),
    finished_at: v.finishedAt?.toISOString() ?? null,
    duration_ms: v.durationMs,
    failure_reason: v.failureReason,
    retriable: v.retriable,
    rollback_status: v.rollbackStatus,
    rollback_actor: v.rollbackActor,
    rollback_reason: v.rollbackReason,
    rolled_back_at: v.rolledBackAt?.toISOString() ?? null,
    rollback_failure: v.rollbackFailure,
    approved_at: c.approvedAt?.toISOString() ?? null,
    executed_at: v.requestedAt.toISOString(),
    completed_at: v.finishedAt?.toISOString() ?? null,
    monitoring_duration_minutes: c.monitoringDurationMinutes,
    health_checks: c.healthChecks,
  };
}

/** A probe as spec 2.4's health_checks names it: "http <url>", "tcp <host>:<port>", "exec <command>". */
function describeProbe(p: ProbeConfig): string {
  if (p.type === 'http') return `http ${p.url}`;
  if (p.type === 'tcp') return `tcp ${p.host}:${p.port}`;
  return `exec ${p.command.join(' ')}`;
}

@ApiTags('resurrections')
@ApiSecurity('api-key')
@Controller('resurrections')
export class ResurrectionsController {
  constructor(
    @Inject(DATA_SOURCE) private readonly dataSource: DataSource,
    private readonly commands: CommandBus,
    @Inject(MEDIC_CONFIG) private readonly config: MedicConfig,
  ) {}

  /** The requests with their decision, approval time and watch settings; one query for the kills of a page. */
  private async withContext(views: readonly ResurrectionView[]): Promise<Record<string, unknown>[]> {
    const killIds = [...new Set(views.map((v) => v.killId))];
    const kills = killIds.length === 0 ? [] : await this.dataSource.getRepository(KillView).findBy({ killId: In(killIds) });
    const byKill = new Map(kills.map((k) => [k.killId, k]));
    const r = this.config.resurrection;
    return views.map((v) => {
      const kill = byKill.get(v.killId);
      // Auto-approved: approved when decided; a human's approval has its own time.
      const approvedAt = kill?.approvalStatus === 'granted' ? kill.approvalAt : (kill?.decidedAt ?? null);
      return toDto(v, {
        decisionId: kill?.decisionId ?? null,
        approvedAt,
        monitoringDurationMinutes: r.monitoring_duration_minutes,
        healthChecks: ['container state', ...(r.probes[v.targetModule] ?? []).map(describeProbe)],
      });
    });
  }

  @Get()
  @ApiOperation({ summary: 'Resurrection requests, newest first' })
  @ApiQuery({ name: 'module', required: false })
  @ApiQuery({ name: 'status', required: false, enum: [...RESURRECTION_STATUSES] })
  @ApiQuery({ name: 'since', required: false, description: 'requested at or after (ISO-8601)' })
  @ApiQuery({ name: 'until', required: false, description: 'requested at or before (ISO-8601)' })
  @ApiQuery({ name: 'page', required: false })
  @ApiQuery({ name: 'page_size', required: false, description: '1–200 (default 50)' })
  @ApiOkResponse({ description: 'in the response envelope, under data: {items, pagination}' })
  async list(@QueryParams() query: Record<string, unknown>): Promise<Page<Record<string, unknown>>> {
    const f = parseResurrectionFilters(query);
    const q = this.dataSource.getRepository(ResurrectionView).createQueryBuilder('r').where('true');
    if (f.module) q.andWhere('r.target_module = :module', { module: f.module });
    if (f.status) q.andWhere('r.status = :status', { status: f.status });
    if (f.since) q.andWhere('r.requested_at >= :since', { since: f.since });
    if (f.until) q.andWhere('r.requested_at <= :until', { until: f.until });
    const page = await pageOf(q.orderBy('r.requested_at', 'DESC').addOrderBy('r.request_id', 'ASC'), f, (v) => v);
    return { ...page, items: await this.withContext(page.items) };
  }

  @Get(':request_id')
  @ApiOperation({ summary: 'One resurrection request' })
  async get(@Param('request_id') requestId: string): Promise<Record<string, unknown>> {
    const [dto] = await this.withContext([await findResurrection(this.dataSource, requestId)]);
    return dto!;
  }

  @Get(':request_id/status')
  @ApiOperation({ summary: 'Where one resurrection request stands' })
  async status(@Param('request_id') requestId: string): Promise<Record<string, unknown>> {
    const v = await findResurrection(this.dataSource, requestId);
    return { request_id: v.requestId, status: v.status, finished_at: v.finishedAt?.toISOString() ?? null, failure_reason: v.failureReason, rollback_status: v.rollbackStatus };
  }

  @Post(':request_id/rollback')
  @RequiresRole('operator')
  @ApiOperation({ summary: 'Roll the resurrection back: the module is stopped again (operator or admin); the key name is recorded as the actor' })
  @ApiHeader({ name: 'Idempotency-Key', required: false, description: 'a retry with the same key gets the first answer back' })
  @ApiBody({ required: false, schema: { type: 'object', properties: { reason: { type: 'string', minLength: 1, maxLength: 1000 } } } })
  @ApiOkResponse({ description: 'the kill workflow accepted the rollback; the executor stops the module next' })
  @ApiAcceptedResponse({ type: CommandStatusDto, description: 'no verdict within 5 s: poll status_url' })
  @ApiConflictResponse({ description: 'the workflow rejected it (not monitored, stable or anomalous, already rolled back, outcome recorded), with its reason' })
  async rollback(
    @Param('request_id') requestId: string,
    @Body() body: unknown,
    @Headers('idempotency-key') key: string | undefined,
    @Req() req: AuthenticatedRequest,
    @Res() res: Response,
  ): Promise<void> {
    const command = new RollBackResurrectionCommand(requestId, parseRollbackReason(body), req.principal!, parseIdempotencyKey(key));
    sendCommandAnswer(req, res, await this.commands.execute(command));
  }

  @Get(':request_id/commands/:command_id')
  @ApiOperation({ summary: 'Where a rollback answered 202 stands' })
  @ApiOkResponse({ type: CommandStatusDto, description: 'in the response envelope, under data' })
  async commandStatus(@Param('request_id') requestId: string, @Param('command_id') commandId: string): Promise<CommandStatusDto> {
    const resurrection = await findResurrection(this.dataSource, requestId);
    const id = parseUuid('command_id', commandId);
    return toCommandStatusDto(id, await verdictAbout(this.dataSource, resurrection.killId, id, `resurrection request ${requestId}`), rollbackStatusUrl(requestId, id));
  }
}
