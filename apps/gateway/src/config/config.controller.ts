import { Body, Controller, Get, Headers, HttpCode, Inject, Put, Query as QueryParams, Req, Res } from '@nestjs/common';
import { ApiBody, ApiForbiddenResponse, ApiHeader, ApiOkResponse, ApiOperation, ApiPreconditionFailedResponse, ApiQuery, ApiSecurity, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import type { DataSource } from 'typeorm';
import { redactConfig, type MedicConfig } from '@medic/config';
import { AUTO_APPROVABLE_LEVELS, changedThresholds, thresholdsProblems, type ThresholdsChange, type ThresholdsUpdated } from '@medic/domain';
import { ApiError, DATA_SOURCE, MEDIC_CONFIG } from '@medic/eventlog';
import { parsePeriodFilters } from '../decisions/decision-filters';
import { untilOwnViewShows } from '../http/own-view';
import { pageOf, type Page } from '../http/pagination';
import type { AuthenticatedRequest } from '../auth/api-key.guard';
import { RequiresRole } from '../auth/roles';
import { CommandSender } from '../queue/command-sender';
import { IdempotencyStore, parseIdempotencyKey } from '../queue/idempotency';
import { ThresholdChangeView } from './threshold-changes';
import { parseThresholdsChange, toThresholdsDto, ThresholdsDto, type ThresholdChangeDto } from './thresholds.dto';
import { ThresholdsInForce } from './thresholds-in-force';

/** The version of the thresholds in force, as an entity tag: the time of the update that set them, or the configuration's. */
function etagOf(update: ThresholdsUpdated | null): string {
  return `"${update === null ? 'config' : update.at}"`;
}

@ApiTags('config')
@ApiSecurity('api-key')
@Controller('config')
export class ConfigController {
  /** Updates through this gateway, one after another: each starts from what the one before set. */
  private updating: Promise<unknown> = Promise.resolve();

  constructor(
    @Inject(MEDIC_CONFIG) private readonly config: MedicConfig,
    private readonly thresholds: ThresholdsInForce,
    private readonly sender: CommandSender,
    @Inject(DATA_SOURCE) private readonly dataSource: DataSource,
  ) {}

  @Get()
  @ApiOperation({ summary: 'The configuration Medic runs with (secrets redacted), with the thresholds in force: an admin\'s last update over the configured ones' })
  async get(): Promise<MedicConfig> {
    const redacted = redactConfig(this.config);
    const { values } = await this.thresholds.current();
    return {
      ...redacted,
      risk: { ...redacted.risk, thresholds: values.thresholds },
      decision: { ...redacted.decision, auto_approve: { ...redacted.decision.auto_approve, max_risk_level: values.maxRiskLevel as MedicConfig['decision']['auto_approve']['max_risk_level'], min_confidence: values.minConfidence } },
    };
  }

  @Get('thresholds')
  @ApiOperation({ summary: 'The risk thresholds and auto-approval limits kills are decided by, where they come from, and the configured ones' })
  @ApiOkResponse({ type: ThresholdsDto, description: 'in the response envelope, under data' })
  async getThresholds(@Res({ passthrough: true }) res: Response): Promise<ThresholdsDto> {
    const update = await this.thresholds.update();
    res.setHeader('ETag', etagOf(update));
    return toThresholdsDto(this.thresholds.configured, update);
  }

  @Get('thresholds/history')
  @ApiOperation({ summary: 'Every change of the thresholds (ThresholdsUpdated), the latest first: who, when, why, and the thresholds it set' })
  @ApiQuery({ name: 'since', required: false, description: 'changed at or after (ISO-8601)' })
  @ApiQuery({ name: 'until', required: false, description: 'changed at or before (ISO-8601)' })
  @ApiQuery({ name: 'page', required: false })
  @ApiQuery({ name: 'page_size', required: false, description: '1–200 (default 50)' })
  @ApiOkResponse({ description: 'in the response envelope, under data: {items, pagination}' })
  async history(@QueryParams() query: Record<string, unknown>): Promise<Page<ThresholdChangeDto>> {
    const f = parsePeriodFilters(query);
    const q = this.dataSource.getRepository(ThresholdChangeView).createQueryBuilder('c').orderBy('c.updated_at', 'DESC').addOrderBy('c.actor', 'DESC');
    if (f.since) q.andWhere('c.updated_at >= :since', { since: f.since });
    if (f.until) q.andWhere('c.updated_at <= :until', { until: f.until });
    return pageOf(q, f, (c) => ({
      changed_at: c.updatedAt.toISOString(),
      changed_by: c.actor,
      reason: c.reason,
      thresholds: c.thresholds,
      max_risk_level: c.maxRiskLevel,
      min_confidence: c.minConfidence,
    }));
  }

  @Put('thresholds')
  @HttpCode(200)
  @RequiresRole('admin')
  @ApiOperation({
    summary:
      'Change the risk thresholds and auto-approval limits (admin): appends ThresholdsUpdated to the control log with the key name as actor; kills decided after the decision service reads it are decided by them',
  })
  @ApiBody({
    schema: {
      type: 'object',
      required: ['reason'],
      properties: {
        thresholds: { type: 'object', properties: { minimal: { type: 'number' }, low: { type: 'number' }, medium: { type: 'number' }, high: { type: 'number' } } },
        max_risk_level: { type: 'string', enum: [...AUTO_APPROVABLE_LEVELS] },
        min_confidence: { type: 'number', minimum: 0, maximum: 1 },
        reason: { type: 'string', minLength: 1, maxLength: 1000 },
      },
    },
  })
  @ApiOkResponse({ type: ThresholdsDto, description: 'in the response envelope, under data' })
  @ApiForbiddenResponse({ description: 'the key is not an admin key' })
  @ApiPreconditionFailedResponse({ description: 'If-Match names thresholds that are no longer the ones in force' })
  @ApiHeader({ name: 'Idempotency-Key', required: false, description: 'a retry with the same key gets the first answer back' })
  async putThresholds(
    @Body() body: unknown,
    @Req() req: AuthenticatedRequest,
    @Headers('if-match') ifMatch: string | undefined,
    @Headers('idempotency-key') idempotencyKey: string | undefined,
    @Res({ passthrough: true }) res: Response,
  ): Promise<ThresholdsDto> {
    const { change, reason } = parseThresholdsChange(body);
    const actor = req.principal!.name;
    // A retry with the same Idempotency-Key gets the first answer (and its ETag), and appends nothing more.
    const answer = await new IdempotencyStore(this.dataSource).once(actor, parseIdempotencyKey(idempotencyKey), { put: 'thresholds', body, ifMatch: ifMatch ?? null }, async () => {
      const turn = this.updating.then(() => this.update(change, reason, actor, ifMatch));
      this.updating = turn.catch(() => undefined);
      const set = await turn;
      return { etag: etagOf(set), thresholds: toThresholdsDto(this.thresholds.configured, set) };
    });
    res.setHeader('ETag', answer.etag);
    return answer.thresholds;
  }

  /**
   * The change over the thresholds in force, appended once it is checked. With If-Match (the ETag
   * of a GET), only over the thresholds that were read: two admins changing them at once do not
   * silently undo each other's change.
   */
  private async update(change: ThresholdsChange, reason: string, actor: string, ifMatch: string | undefined): Promise<ThresholdsUpdated> {
    const { values, update } = await this.thresholds.current();
    if (ifMatch !== undefined && ifMatch.trim() !== '*' && ifMatch.trim() !== etagOf(update)) {
      const now = update === null ? 'the configured ones' : `those ${update.actor} set at ${update.at}`;
      throw new ApiError(412, 'precondition_failed', `If-Match: the thresholds changed since they were read (${ifMatch.trim()}); in force now are ${now} (ETag ${etagOf(update)}): read them again`, 'If-Match');
    }
    const next = changedThresholds(values, change);
    const problems = thresholdsProblems(next);
    if (problems.length > 0) throw new ApiError(400, 'validation_error', problems.map((p) => `${p.field}: ${p.message}`).join('; '), problems[0]!.field);
    // Later than the update it replaces, even on a clock behind the one that made that: the later update is the one that holds.
    const at = new Date(Math.max(Date.now(), update === null ? 0 : Date.parse(update.at) + 1)).toISOString();
    const event: ThresholdsUpdated = { type: 'ThresholdsUpdated', at, actor, reason, ...next };
    await this.sender.announce(event, 'thresholds');
    await this.visible(event);
    return event;
  }

  /** Waits, a little, until the gateway's projection has the update. */
  private visible(event: ThresholdsUpdated): Promise<void> {
    return untilOwnViewShows(async () => {
      const seen = await this.thresholds.update();
      return seen === null ? null : Date.parse(seen.at);
    }, event.at);
  }
}
