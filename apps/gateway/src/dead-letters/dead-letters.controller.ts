import { Controller, Get, Inject, Query as QueryParams } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiQuery, ApiSecurity, ApiTags } from '@nestjs/swagger';
import type { DataSource } from 'typeorm';
import type { MedicConfig } from '@medic/config';
import { DATA_SOURCE, MEDIC_CONFIG } from '@medic/eventlog';
import { parseDeadLetterFilters } from '../decisions/decision-filters';
import { pageOf, type Page } from '../http/pagination';
import { DeadLetterView } from './dead-letter.entity';
import { DEAD_LETTER_TOPICS } from './dead-letters.projection';

const DLQS = DEAD_LETTER_TOPICS.map((t) => t.dlq);

/**
 * Every record a step could not handle: kill reports the listener refused,
 * veto answers the negotiator could not match, and Medic's own steps' dead
 * letters, each with why, where it came from and where its original bytes
 * are kept.
 */
@ApiTags('dead-letters')
@ApiSecurity('api-key')
@Controller('dead-letters')
export class DeadLettersController {
  constructor(
    @Inject(DATA_SOURCE) private readonly dataSource: DataSource,
    @Inject(MEDIC_CONFIG) private readonly config: MedicConfig,
  ) {}

  @Get()
  @ApiOperation({ summary: 'Dead-lettered records, the last to fail first: what was refused and why' })
  @ApiQuery({ name: 'dlq', required: false, enum: DLQS, description: 'kill_reports (Smith\'s reports the listener refused), veto_answers, or internal (Medic\'s own steps)' })
  @ApiQuery({ name: 'step', required: false, description: 'the step that could not handle it (listener, decision, …)' })
  @ApiQuery({ name: 'code', required: false, description: 'why, in short (invalid_field, malformed_json, illegal_transition, …)' })
  @ApiQuery({ name: 'since', required: false, description: 'failed at or after (ISO-8601)' })
  @ApiQuery({ name: 'until', required: false, description: 'failed at or before (ISO-8601)' })
  @ApiQuery({ name: 'page', required: false })
  @ApiQuery({ name: 'page_size', required: false, description: '1–200 (default 50)' })
  @ApiOkResponse({ description: 'in the response envelope, under data: {items, pagination}' })
  async list(@QueryParams() query: Record<string, unknown>): Promise<Page<Record<string, unknown>>> {
    const f = parseDeadLetterFilters(query, DLQS);
    const q = this.dataSource.getRepository(DeadLetterView).createQueryBuilder('d').where('true');
    if (f.dlq) q.andWhere('d.dlq = :dlq', { dlq: f.dlq });
    if (f.step) q.andWhere('d.step = :step', { step: f.step });
    if (f.code) q.andWhere('d.code = :code', { code: f.code });
    if (f.since) q.andWhere('d.failed_at >= :since', { since: f.since });
    if (f.until) q.andWhere('d.failed_at <= :until', { until: f.until });
    return pageOf(q.orderBy('d.failed_at', 'DESC').addOrderBy('d.id', 'ASC'), f, (v) => this.toDto(v));
  }

  private toDto(v: DeadLetterView): Record<string, unknown> {
    // The id is `<dlq>:<partition>:<offset>`: where the dead letter, with the original bytes, sits in its topic.
    const [, partition, offset] = v.id.split(':');
    const topic = DEAD_LETTER_TOPICS.find((t) => t.dlq === v.dlq)?.topic(this.config) ?? null;
    return {
      id: v.id,
      dlq: v.dlq,
      step: v.step,
      code: v.code,
      reason: v.reason,
      failed_at: v.failedAt.toISOString(),
      source: { topic: v.sourceTopic || null, partition: v.sourcePartition >= 0 ? v.sourcePartition : null, offset: v.sourceOffset || null },
      dead_letter: { topic, partition: Number(partition), offset },
    };
  }
}
