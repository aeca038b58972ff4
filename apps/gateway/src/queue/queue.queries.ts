import { Inject } from '@nestjs/common';
import { IQueryHandler, Query, QueryHandler } from '@nestjs/cqrs';
import type { DataSource } from 'typeorm';
import { ApiError, DATA_SOURCE } from '@medic/eventlog';
import type { QueueFilters } from '../decisions/decision-filters';
import { KillView } from '../decisions/kill-view.entity';
import { pageOf } from '../http/pagination';
import { verdictAbout } from './logged-commands';
import { toCommandStatusDto, toQueueItemDto, type CommandStatusDto, type QueueItemDto, type QueuePageDto } from './queue.dto';

export class ListQueueQuery extends Query<QueuePageDto> {
  constructor(readonly filters: QueueFilters) {
    super();
  }
}

export class GetQueueItemQuery extends Query<QueueItemDto> {
  constructor(readonly itemId: string) {
    super();
  }
}

export class GetCommandStatusQuery extends Query<CommandStatusDto> {
  constructor(
    readonly itemId: string,
    readonly commandId: string,
  ) {
    super();
  }
}

export function statusUrl(itemId: string, commandId: string): string {
  return `/api/v1/queue/${itemId}/commands/${commandId}`;
}

/** The queue item of that id, whatever became of it; 404 when there is none. */
export async function findQueueItem(dataSource: DataSource, itemId: string): Promise<KillView> {
  const row = await dataSource.getRepository(KillView).findOneBy({ approvalQueueItemId: itemId });
  if (!row) throw new ApiError(404, 'not_found', `no approval queue item ${itemId}`);
  return row;
}

@QueryHandler(ListQueueQuery)
export class ListQueueHandler implements IQueryHandler<ListQueueQuery, QueuePageDto> {
  constructor(@Inject(DATA_SOURCE) private readonly dataSource: DataSource) {}

  /** Pending items, the first to expire first. */
  async execute({ filters: f }: ListQueueQuery): Promise<QueuePageDto> {
    const q = this.dataSource.getRepository(KillView).createQueryBuilder('k').where(`k.approval_status = 'pending'`);
    if (f.module) q.andWhere('k.target_module = :module', { module: f.module });
    if (f.riskLevel) q.andWhere('k.risk_level = :riskLevel', { riskLevel: f.riskLevel });
    if (f.since) q.andWhere('k.approval_requested_at >= :since', { since: f.since });
    if (f.until) q.andWhere('k.approval_requested_at <= :until', { until: f.until });
    return pageOf(q.orderBy('k.approval_expires_at', 'ASC').addOrderBy('k.approval_queue_item_id', 'ASC'), f, toQueueItemDto);
  }
}

@QueryHandler(GetQueueItemQuery)
export class GetQueueItemHandler implements IQueryHandler<GetQueueItemQuery, QueueItemDto> {
  constructor(@Inject(DATA_SOURCE) private readonly dataSource: DataSource) {}

  async execute({ itemId }: GetQueueItemQuery): Promise<QueueItemDto> {
    return toQueueItemDto(await findQueueItem(this.dataSource, itemId));
  }
}

@QueryHandler(GetCommandStatusQuery)
export class GetCommandStatusHandler implements IQueryHandler<GetCommandStatusQuery, CommandStatusDto> {
  constructor(@Inject(DATA_SOURCE) private readonly dataSource: DataSource) {}

  async execute({ itemId, commandId }: GetCommandStatusQuery): Promise<CommandStatusDto> {
    const item = await findQueueItem(this.dataSource, itemId);
    const verdict = await verdictAbout(this.dataSource, item.killId, commandId, `queue item ${itemId}`);
    return toCommandStatusDto(commandId, verdict, statusUrl(itemId, commandId));
  }
}
