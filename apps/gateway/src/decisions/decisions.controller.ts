import { Controller, Get, Param, Query as QueryParams } from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import { ApiOkResponse, ApiOperation, ApiQuery, ApiSecurity, ApiTags } from '@nestjs/swagger';
import { parseDecisionFilters } from './decision-filters';
import { DecisionDto, DecisionPageDto } from './decision.dto';
import { GetDecisionQuery, ListDecisionsQuery } from './decision.queries';

@ApiTags('decisions')
@ApiSecurity('api-key')
@Controller('decisions')
export class DecisionsController {
  constructor(private readonly queries: QueryBus) {}

  @Get()
  @ApiOperation({ summary: 'List decisions, newest first' })
  @ApiQuery({ name: 'module', required: false, description: 'target module' })
  @ApiQuery({ name: 'outcome', required: false, enum: ['approve_auto', 'approve_manual', 'pending_review', 'deny', 'defer'] })
  @ApiQuery({ name: 'risk_level', required: false, enum: ['minimal', 'low', 'medium', 'high', 'critical'] })
  @ApiQuery({ name: 'since', required: false, description: 'decided at or after (ISO-8601)' })
  @ApiQuery({ name: 'until', required: false, description: 'decided at or before (ISO-8601)' })
  @ApiQuery({ name: 'page', required: false, description: '1-based page number (default 1)' })
  @ApiQuery({ name: 'page_size', required: false, description: 'items per page, 1–200 (default 50)' })
  @ApiOkResponse({ type: DecisionPageDto, description: 'in the response envelope, under data' })
  list(@QueryParams() query: Record<string, unknown>): Promise<DecisionPageDto> {
    return this.queries.execute(new ListDecisionsQuery(parseDecisionFilters(query)));
  }

  @Get(':decision_id')
  @ApiOperation({ summary: 'One decision with its reasoning and risk factors' })
  @ApiOkResponse({ type: DecisionDto, description: 'in the response envelope, under data' })
  get(@Param('decision_id') decisionId: string): Promise<DecisionDto> {
    return this.queries.execute(new GetDecisionQuery(decisionId));
  }
}
