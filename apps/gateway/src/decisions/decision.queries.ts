import { Inject } from '@nestjs/common';
import { IQueryHandler, Query, QueryHandler } from '@nestjs/cqrs';
import type { DataSource } from 'typeorm';
import { ApiError, DATA_SOURCE } from '@medic/eventlog';
import { pageOf } from '../http/pagination';
import { parseUuid } from '../http/params';
import type { DecisionFilters } from './decision-filters';
import { toDecisionDto, type DecisionDto, type DecisionPageDto } from './decision.dto';
import { KillView } from './kill-view.entity';

export class ListDecisionsQuery extends Query<DecisionPageDto> {
  constructor(readonly filters: DecisionFilters) {
    super();
  }
}

export class GetDecisionQuery extends Query<DecisionDto> {
  constructor(readonly decisionId: string) {
    super();
  }
}

@QueryHandler(ListDecisionsQuery)
export class ListDecisionsHandler implements IQueryHandler<ListDecisionsQuery, DecisionPageDto> {
  constructor(@Inject(DATA_SOURCE) private readonly dataSource: DataSource) {}

  async execute({ filters: f }: ListDecisionsQuery): Promise<DecisionPageDto> {
    const q = this.dataSource.getRepository(KillView).createQueryBuilder('k').where('k.decision_id IS NOT NULL');
    if (f.module) q.andWhere('k.target_module = :module', { module: f.module });
    if (f.outcome) q.andWhere('k.outcome = :outcome', { outcome: f.outcome });
    if (f.riskLevel) q.andWhere('k.risk_level = :riskLevel', { riskLevel: f.riskLevel });
    if (f.since) q.andWhere('k.decided_at >= :since', { since: f.since });
    if (f.until) q.andWhere('k.decided_at <= :until', { until: f.until });
    return pageOf(q.orderBy('k.decided_at', 'DESC').addOrderBy('k.decision_id', 'ASC'), f, toDecisionDto);
  }
}

@QueryHandler(GetDecisionQuery)
export class GetDecisionHandler implements IQueryHandler<GetDecisionQuery, DecisionDto> {
  constructor(@Inject(DATA_SOURCE) private readonly dataSource: DataSource) {}

  async execute({ decisionId }: GetDecisionQuery): Promise<DecisionDto> {
    const row = await this.dataSource.getRepository(KillView).findOneBy({ decisionId: parseUuid('decision_id', decisionId) });
    if (!row) throw new ApiError(404, 'not_found', `no decision ${decisionId}`);
    return toDecisionDto(row);
  }
}
