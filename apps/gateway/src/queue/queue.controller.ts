import { Body, Controller, Get, Headers, Param, Post, Query as QueryParams, Req, Res } from '@nestjs/common';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import { ApiAcceptedResponse, ApiBody, ApiConflictResponse, ApiHeader, ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiQuery, ApiSecurity, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import type { AuthenticatedRequest } from '../auth/api-key.guard';
import { RequiresRole } from '../auth/roles';
import { parseQueueFilters } from '../decisions/decision-filters';
import { parseIdempotencyKey } from './idempotency';
import { sendCommandAnswer } from './logged-commands';
import { ActOnQueueItemCommand } from './queue.commands';
import { parseUuid } from '../http/params';
import { CommandStatusDto, parseQueueAction, QueueItemDto, QueuePageDto } from './queue.dto';
import { GetCommandStatusQuery, GetQueueItemQuery, ListQueueQuery } from './queue.queries';

@ApiTags('approval queue')
@ApiSecurity('api-key')
@Controller('queue')
export class QueueController {
  constructor(
    private readonly queries: QueryBus,
    private readonly commands: CommandBus,
  ) {}

  @Get()
  @ApiOperation({ summary: 'Pending approvals, the first to expire first' })
  @ApiQuery({ name: 'module', required: false, description: 'target module' })
  @ApiQuery({ name: 'risk_level', required: false, enum: ['minimal', 'low', 'medium', 'high', 'critical'] })
  @ApiQuery({ name: 'since', required: false, description: 'requested at or after (ISO-8601)' })
  @ApiQuery({ name: 'until', required: false, description: 'requested at or before (ISO-8601)' })
  @ApiQuery({ name: 'page', required: false, description: '1-based page number (default 1)' })
  @ApiQuery({ name: 'page_size', required: false, description: 'items per page, 1–200 (default 50)' })
  @ApiOkResponse({ type: QueuePageDto, description: 'in the response envelope, under data' })
  list(@QueryParams() query: Record<string, unknown>): Promise<QueuePageDto> {
    return this.queries.execute(new ListQueueQuery(parseQueueFilters(query)));
  }

  @Get(':item_id')
  @ApiOperation({ summary: 'One queue item, pending or answered' })
  @ApiOkResponse({ type: QueueItemDto, description: 'in the response envelope, under data' })
  @ApiNotFoundResponse({ description: 'no such item' })
  get(@Param('item_id') itemId: string): Promise<QueueItemDto> {
    return this.queries.execute(new GetQueueItemQuery(parseUuid('item_id', itemId)));
  }

  @Get(':item_id/commands/:command_id')
  @ApiOperation({ summary: 'Where an approve or deny answered 202 stands' })
  @ApiOkResponse({ type: CommandStatusDto, description: 'in the response envelope, under data' })
  commandStatus(@Param('item_id') itemId: string, @Param('command_id') commandId: string): Promise<CommandStatusDto> {
    return this.queries.execute(new GetCommandStatusQuery(parseUuid('item_id', itemId), parseUuid('command_id', commandId)));
  }

  @Post(':item_id/approve')
  @RequiresRole('operator')
  @ApiOperation({ summary: 'Approve the resurrection (operator or admin); the key name is recorded as the approver' })
  @ApiHeader({ name: 'Idempotency-Key', required: false, description: 'a retry with the same key gets the first answer back' })
  @ApiBody({ required: false, schema: { type: 'object', properties: { notes: { type: 'string', maxLength: 1000 } } } })
  @ApiOkResponse({ type: QueueItemDto, description: "the item's new state" })
  @ApiAcceptedResponse({ type: CommandStatusDto, description: 'no verdict within 5 s: poll status_url' })
  @ApiConflictResponse({ description: 'the workflow rejected it (e.g. already denied or expired), with its reason' })
  approve(
    @Param('item_id') itemId: string,
    @Body() body: unknown,
    @Headers('idempotency-key') key: string | undefined,
    @Req() req: AuthenticatedRequest,
    @Res() res: Response,
  ): Promise<void> {
    return this.act(itemId, 'approve', body, key, req, res);
  }

  @Post(':item_id/deny')
  @RequiresRole('operator')
  @ApiOperation({ summary: 'Deny the resurrection (operator or admin), with a reason; the key name is recorded as the denier' })
  @ApiHeader({ name: 'Idempotency-Key', required: false, description: 'a retry with the same key gets the first answer back' })
  @ApiBody({ schema: { type: 'object', required: ['reason'], properties: { reason: { type: 'string', minLength: 1, maxLength: 1000 } } } })
  @ApiOkResponse({ type: QueueItemDto, description: "the item's new state" })
  @ApiAcceptedResponse({ type: CommandStatusDto, description: 'no verdict within 5 s: poll status_url' })
  @ApiConflictResponse({ description: 'the workflow rejected it (e.g. already approved or expired), with its reason' })
  deny(
    @Param('item_id') itemId: string,
    @Body() body: unknown,
    @Headers('idempotency-key') key: string | undefined,
    @Req() req: AuthenticatedRequest,
    @Res() res: Response,
  ): Promise<void> {
    return this.act(itemId, 'deny', body, key, req, res);
  }

  private async act(itemId: string, kind: 'approve' | 'deny', body: unknown, key: string | undefined, req: AuthenticatedRequest, res: Response): Promise<void> {
    const command = new ActOnQueueItemCommand(parseUuid('item_id', itemId), parseQueueAction(kind, body), req.principal!, parseIdempotencyKey(key));
    sendCommandAnswer(req, res, await this.commands.execute(command));
  }
}
