import { Controller, Get, Inject, Query as QueryParams } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiQuery, ApiSecurity, ApiTags } from '@nestjs/swagger';
import type { DataSource } from 'typeorm';
import { DATA_SOURCE } from '@medic/eventlog';
import { queryOutcomeStats } from '../outcomes/outcomes.controller';
import { parseReportPeriod, type ReportKind } from './report-period';
import { buildReport, type PeriodFacts, type Report, type ThresholdChange } from './report';

/** How many modules a report names, the most killed first. */
const TOP_MODULES = 10;

@ApiTags('reports')
@ApiSecurity('api-key')
@Controller('reports')
export class ReportsController {
  constructor(@Inject(DATA_SOURCE) private readonly dataSource: DataSource) {}

  @Get('daily')
  @ApiOperation({ summary: 'One UTC day: kills and decisions, approvals, resurrections, outcomes, the most killed modules, dead letters, and the day before for comparison' })
  @ApiQuery({ name: 'date', required: false, description: 'YYYY-MM-DD (UTC); today by default' })
  @ApiOkResponse({ description: 'in the response envelope, under data' })
  async daily(@QueryParams() query: Record<string, unknown>): Promise<Report> {
    return this.report('daily', query);
  }

  @Get('weekly')
  @ApiOperation({ summary: 'One ISO week (Monday to Sunday, UTC): the daily report\'s figures for the week and for each day, and the week before for comparison' })
  @ApiQuery({ name: 'date', required: false, description: 'a day of the week, YYYY-MM-DD (UTC); this week by default' })
  @ApiOkResponse({ description: 'in the response envelope, under data' })
  async weekly(@QueryParams() query: Record<string, unknown>): Promise<Report> {
    return this.report('weekly', query);
  }

  private async report(kind: ReportKind, query: Record<string, unknown>): Promise<Report> {
    const period = parseReportPeriod(kind, query, new Date());
    const [current, previous] = await Promise.all([this.facts(period.from, period.until, kind === 'weekly'), this.facts(period.previous.from, period.previous.until, false)]);
    return buildReport(period, current, previous, new Date());
  }

  /** What the gateway's projections say of [from, until): each part counted in one query. */
  private async facts(from: Date, until: Date, perDay: boolean): Promise<PeriodFacts> {
    const range = [from.toISOString(), until.toISOString()];
    const q = <T>(sql: string, params: unknown[] = range) => this.dataSource.query<T[]>(sql, params);
    const [kills, latency, approvals, approvers, resurrections, modules, deadLetters, days, outcomes, thresholdChanges] = await Promise.all([
      q<PeriodFacts['kills'][number]>(
        `SELECT outcome, observe_only, risk_level, severity, kill_reason, count(*)::int AS n FROM kills WHERE reported_at >= $1 AND reported_at < $2 GROUP BY 1, 2, 3, 4, 5`,
      ),
      q<{ p50: number | null; p95: number | null; max: number | null }>(
        `SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY ms) AS p50, percentile_cont(0.95) WITHIN GROUP (ORDER BY ms) AS p95, max(ms) AS max
           FROM (SELECT extract(epoch FROM decided_at - reported_at) * 1000 AS ms FROM kills
                  WHERE reported_at >= $1 AND reported_at < $2 AND decided_at IS NOT NULL) d`,
      ),
      q<{ status: string; n: number; answer_p50: number | null }>(
        `SELECT approval_status AS status, count(*)::int AS n,
                percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM approval_at - approval_requested_at)) FILTER (WHERE approval_at IS NOT NULL) AS answer_p50
           FROM kills WHERE approval_requested_at >= $1 AND approval_requested_at < $2 GROUP BY 1`,
      ),
      q<{ by: string; status: string; n: number }>(
        `SELECT approval_by AS by, approval_status AS status, count(*)::int AS n FROM kills
          WHERE approval_at >= $1 AND approval_at < $2 AND approval_status IN ('granted', 'denied') GROUP BY 1, 2`,
      ),
      q<{ status: string; n: number; mean_ms: number | null; rolled_back: number }>(
        `SELECT status, count(*)::int AS n, avg(duration_ms) AS mean_ms, count(*) FILTER (WHERE rolled_back_at IS NOT NULL)::int AS rolled_back
           FROM resurrections WHERE requested_at >= $1 AND requested_at < $2 GROUP BY 1`,
      ),
      q<{ module: string; kills: number; denied: number; auto_approved: number; pending: number }>(
        `SELECT target_module AS module, count(*)::int AS kills, count(*) FILTER (WHERE outcome = 'deny' AND observe_only IS NOT TRUE)::int AS denied,
                count(*) FILTER (WHERE outcome = 'approve_auto' AND observe_only IS NOT TRUE)::int AS auto_approved, count(*) FILTER (WHERE approval_status = 'pending')::int AS pending
           FROM kills WHERE reported_at >= $1 AND reported_at < $2 GROUP BY 1 ORDER BY kills DESC, module LIMIT $3`,
        [...range, TOP_MODULES],
      ),
      q<{ dlq: string; step: string; code: string; n: number }>(
        `SELECT dlq, step, code, count(*)::int AS n FROM dead_letters WHERE failed_at >= $1 AND failed_at < $2 GROUP BY 1, 2, 3 ORDER BY n DESC, dlq, step, code`,
      ),
      perDay
        ? q<PeriodFacts['days'][number]>(
            `SELECT to_char(reported_at AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS day, outcome, observe_only, count(*)::int AS n
               FROM kills WHERE reported_at >= $1 AND reported_at < $2 GROUP BY 1, 2, 3`,
          )
        : Promise.resolve([]),
      // Recorded within the period (until is inclusive there: a millisecond before the period's end).
      queryOutcomeStats(this.dataSource, { module: null, riskLevel: null, since: from, until: new Date(until.getTime() - 1) }),
      q<ThresholdChange>(
        `SELECT to_char(updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS changed_at, actor AS changed_by, reason, thresholds, max_risk_level, min_confidence
           FROM threshold_changes WHERE updated_at >= $1 AND updated_at < $2 ORDER BY updated_at, actor`,
      ),
    ]);
    return { kills, latency: latency[0] ?? { p50: null, p95: null, max: null }, approvals, approvers, resurrections, modules, deadLetters, days, outcomes, thresholdChanges };
  }
}
