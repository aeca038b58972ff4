import { Controller, Get, Inject, Param, Query as QueryParams } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiQuery, ApiSecurity, ApiTags } from '@nestjs/swagger';
import type { DataSource } from 'typeorm';
import { DATA_SOURCE } from '@medic/eventlog';
import { ApiError } from '../http/envelope';
import { pageOf, type Page } from '../http/pagination';
import { parseResurrectionFilters, RESURRECTION_STATUSES } from '../decisions/decision-filters';
import { ResurrectionView } from './resurrection-view.entity';

/** A resurrection request (spec 2.4) and where it stands. */
function toDto(v: ResurrectionView): Record<string, unknown> {
  return {
    request_id: v.requestId,
    kill_id: v.killId,
    target_module: v.targetModule,
    target_instance_id: v.targetInstanceId,
    approved_by: v.approvedBy,
    attempt: v.attempt,
    status: v.status,
    container_id: v.containerId,
    requested_at: v.requestedAt.toISOString(),
    finished_at: v.finishedAt?.toISOString() ?? null,
    duration_ms: v.durationMs,
    failure_reason: v.failureReason,
    retriable: v.retriable,
  };
}

@ApiTags('resurrections')
@ApiSecurity('api-key')
@Controller('resurrections')
export class ResurrectionsController {
  constructor(@Inject(DATA_SOURCE) private readonly dataSource: DataSource) {}

  @Get()
  @ApiOperation({ summary: 'Resurrection requests, newest first' })
  @ApiQuery({ name: 'module', required: false })
  @ApiQuery({ name: 'status', required: false, enum: [...RESURRECTION_STATUSES] })
  @ApiQuery({ name: 'since', required: false, description: 'requested at or after (ISO-8601)' })
  @ApiQuery({ name: 'until', required: false, description: 'requested at or before (ISO-8601)' })
  @ApiQuery({ name: 'page', required: false })
  @ApiQuery({ name: 'page_size', required: false, description: '1–200 (default 50)' })
  @ApiOkResponse({ description: 'in the response envelope, under data: {items, pagination}' })
  list(@QueryParams() query: Record<string, unknown>): Promise<Page<Record<string, unknown>>> {
    const f = parseResurrectionFilters(query);
    const q = this.dataSource.getRepository(ResurrectionView).createQueryBuilder('r').where('true');
    if (f.module) q.andWhere('r.target_module = :module', { module: f.module });
    if (f.status) q.andWhere('r.status = :status', { status: f.status });
    if (f.since) q.andWhere('r.requested_at >= :since', { since: f.since });
    if (f.until) q.andWhere('r.requested_at <= :until', { until: f.until });
    return pageOf(q.orderBy('r.requested_at', 'DESC').addOrderBy('r.request_id', 'ASC'), f, toDto);
  }

  @Get(':request_id')
  @ApiOperation({ summary: 'One resurrection request' })
  async get(@Param('request_id') requestId: string): Promise<Record<string, unknown>> {
    return toDto(await this.find(requestId));
  }

  @Get(':request_id/status')
  @ApiOperation({ summary: 'Where one resurrection request stands' })
  async status(@Param('request_id') requestId: string): Promise<Record<string, unknown>> {
    const v = await this.find(requestId);
    return { request_id: v.requestId, status: v.status, finished_at: v.finishedAt?.toISOString() ?? null, failure_reason: v.failureReason };
  }

  private async find(requestId: string): Promise<ResurrectionView> {
    if (requestId.length > 128) throw new ApiError(400, 'validation_error', 'request_id: too long', 'request_id');
    const row = await this.dataSource.getRepository(ResurrectionView).findOneBy({ requestId });
    if (!row) throw new ApiError(404, 'not_found', `no resurrection request ${requestId}`);
    return row;
  }
}
