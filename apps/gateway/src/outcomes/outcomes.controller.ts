import { Controller, Get, Inject, Query as QueryParams } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiQuery, ApiSecurity, ApiTags } from '@nestjs/swagger';
import type { DataSource } from 'typeorm';
import { OUTCOME_RESULTS, RISK_LEVELS } from '@medic/domain';
import { DATA_SOURCE } from '@medic/eventlog';
import { parseOutcomeFilters, parseOutcomeStatsFilters, type OutcomeFilters } from '../decisions/decision-filters';
import type { Page } from '../http/pagination';
import { outcomeStats, type OutcomeCounts, type OutcomeStats } from './outcome-stats';

type Where = Omit<OutcomeFilters, 'page' | 'pageSize' | 'result'> & { readonly result?: OutcomeFilters['result'] };

/** Outcomes joined with their kill's module and decision risk (which may be unknown when the kill view has not caught up). */
function outcomesWhere(f: Where): { sql: string; params: unknown[] } {
  const params: unknown[] = [];
  const clauses: string[] = [];
  const add = (clause: string, value: unknown) => {
    params.push(value);
    clauses.push(clause.replace('?', `$${params.length}`));
  };
  if (f.module) add('k.target_module = ?', f.module);
  if (f.riskLevel) add('k.risk_level = ?', f.riskLevel);
  if (f.result) add('o.result = ?', f.result);
  if (f.since) add('o.recorded_at >= ?', f.since);
  if (f.until) add('o.recorded_at <= ?', f.until);
  const sql = `FROM outcomes o LEFT JOIN kills k ON k.kill_id = o.kill_id${clauses.length > 0 ? ` WHERE ${clauses.join(' AND ')}` : ''}`;
  return { sql, params };
}

interface OutcomeRow {
  readonly outcome_id: string;
  readonly kill_id: string;
  readonly request_id: string | null;
  readonly decision_id: string;
  readonly result: string;
  readonly recorded_at: Date;
  readonly time_to_stable_seconds: number | null;
  readonly metrics: Record<string, unknown>;
  readonly smith_feedback: string | null;
  readonly human_feedback: string | null;
  readonly lessons_learned: string[];
  readonly should_adjust_threshold: boolean;
  readonly target_module: string | null;
  readonly risk_level: string | null;
}

/** An outcome record (spec 2.5) with its kill's module and risk level. */
function toDto(r: OutcomeRow): Record<string, unknown> {
  return {
    outcome_id: r.outcome_id,
    kill_id: r.kill_id,
    request_id: r.request_id,
    decision_id: r.decision_id,
    target_module: r.target_module,
    risk_level: r.risk_level,
    result: r.result,
    recorded_at: r.recorded_at.toISOString(),
    // Whole seconds, as spec 2.5 has it, rounded up (a module stable within a second took 1, not 0); the measured figure stays in the metrics.
    time_to_stable: r.time_to_stable_seconds === null ? null : Math.ceil(r.time_to_stable_seconds),
    post_resurrection_metrics: r.metrics,
    smith_feedback: r.smith_feedback,
    human_feedback: r.human_feedback,
    lessons_learned: r.lessons_learned,
    should_adjust_threshold: r.should_adjust_threshold,
  };
}

@ApiTags('outcomes')
@ApiSecurity('api-key')
@Controller('outcomes')
export class OutcomesController {
  constructor(@Inject(DATA_SOURCE) private readonly dataSource: DataSource) {}

  @Get()
  @ApiOperation({ summary: 'Recorded outcomes of resurrections, newest first' })
  @ApiQuery({ name: 'module', required: false })
  @ApiQuery({ name: 'result', required: false, enum: [...OUTCOME_RESULTS] })
  @ApiQuery({ name: 'risk_level', required: false, enum: [...RISK_LEVELS] })
  @ApiQuery({ name: 'since', required: false, description: 'recorded at or after (ISO-8601)' })
  @ApiQuery({ name: 'until', required: false, description: 'recorded at or before (ISO-8601)' })
  @ApiQuery({ name: 'page', required: false })
  @ApiQuery({ name: 'page_size', required: false, description: '1–200 (default 50)' })
  @ApiOkResponse({ description: 'in the response envelope, under data: {items, pagination}' })
  async list(@QueryParams() query: Record<string, unknown>): Promise<Page<Record<string, unknown>>> {
    const f = parseOutcomeFilters(query);
    const { sql, params } = outcomesWhere(f);
    const [{ total }] = await this.dataSource.query<[{ total: number }]>(`SELECT count(*)::int AS total ${sql}`, params);
    const rows = await this.dataSource.query<OutcomeRow[]>(
      `SELECT o.*, k.target_module, k.risk_level ${sql} ORDER BY o.recorded_at DESC, o.outcome_id LIMIT $${params.length + 1} OFFSET $${params.length + 2}`,
      [...params, f.pageSize, (f.page - 1) * f.pageSize],
    );
    return { items: rows.map(toDto), pagination: { page: f.page, page_size: f.pageSize, total, total_pages: Math.ceil(total / f.pageSize) } };
  }

  @Get('stats')
  @ApiOperation({ summary: 'Success rate overall, per module and per risk level; mean time to stable; re-kill and rollback rates' })
  @ApiQuery({ name: 'module', required: false })
  @ApiQuery({ name: 'risk_level', required: false, enum: [...RISK_LEVELS] })
  @ApiQuery({ name: 'since', required: false, description: 'recorded at or after (ISO-8601)' })
  @ApiQuery({ name: 'until', required: false, description: 'recorded at or before (ISO-8601)' })
  async stats(@QueryParams() query: Record<string, unknown>): Promise<OutcomeStats> {
    return queryOutcomeStats(this.dataSource, parseOutcomeStatsFilters(query));
  }
}

/** Outcome rates and means, overall, per module and per risk level, of the outcomes `f` names. */
export async function queryOutcomeStats(dataSource: DataSource, f: Where): Promise<OutcomeStats> {
  const { sql, params } = outcomesWhere(f);
  const counts = await dataSource.query<OutcomeCounts[]>(
    `SELECT CASE WHEN GROUPING(k.target_module) = 0 THEN 'module' WHEN GROUPING(k.risk_level) = 0 THEN 'risk_level' ELSE 'overall' END AS grouping,
            CASE WHEN GROUPING(k.target_module) = 0 THEN COALESCE(k.target_module, 'unknown')
                 WHEN GROUPING(k.risk_level) = 0 THEN COALESCE(k.risk_level, 'unknown') END AS key,
            o.result, count(*)::int AS n,
            sum(o.time_to_stable_seconds) FILTER (WHERE o.time_to_stable_seconds IS NOT NULL)::float8 AS stable_seconds,
            count(o.time_to_stable_seconds)::int AS stable_n
       ${sql}
      GROUP BY GROUPING SETS ((o.result), (k.target_module, o.result), (k.risk_level, o.result))`,
    params,
  );
  return outcomeStats(counts);
}
