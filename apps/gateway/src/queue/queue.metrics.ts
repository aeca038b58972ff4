import { Inject, Injectable } from '@nestjs/common';
import type { Registry } from 'prom-client';
import type { DataSource } from 'typeorm';
import { DATA_SOURCE, METRICS } from '@medic/eventlog';
import { gaugeOnScrape } from '@medic/observability';
import { KillView } from '../decisions/kill-view.entity';

/** The approval queue as Prometheus sees it, read from the queue's table at each scrape. */
@Injectable()
export class QueueMetrics {
  constructor(@Inject(METRICS) registry: Registry, @Inject(DATA_SOURCE) dataSource: DataSource) {
    const pending = () => dataSource.getRepository(KillView).createQueryBuilder('k').where(`k.approval_status = 'pending'`);
    gaugeOnScrape(registry, 'medic_approval_queue_pending', 'Approval queue items waiting for a human', () => pending().getCount());
    gaugeOnScrape(registry, 'medic_approval_queue_oldest_pending_seconds', 'How long the oldest pending approval has waited', async () => {
      const oldest = await pending().select('min(k.approval_requested_at)', 'at').getRawOne<{ at: Date | null }>();
      return oldest?.at ? Math.max(0, (Date.now() - new Date(oldest.at).getTime()) / 1000) : 0;
    });
  }
}
