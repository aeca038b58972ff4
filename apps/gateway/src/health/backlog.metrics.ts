import { Inject, Injectable } from '@nestjs/common';
import { Gauge, type Registry } from 'prom-client';
import { METRICS } from '@medic/eventlog';
import { SystemProbe } from './system.probe';

/**
 * Each consumer group's backlog per topic, read from the broker at each
 * scrape: the offsets the group has not consumed yet (see `backlogOf`). A
 * group or topic that is gone drops out; nothing is shown while the broker
 * does not answer, rather than stale figures.
 */
@Injectable()
export class BacklogMetrics {
  constructor(@Inject(METRICS) registry: Registry, probe: SystemProbe) {
    if (registry.getSingleMetric('medic_consumer_group_lag') !== undefined) return;
    new Gauge({
      name: 'medic_consumer_group_lag',
      help: "Offsets of a topic a Medic consumer group has not consumed yet (Kafka's count, commit markers included)",
      labelNames: ['group', 'topic'],
      registers: [registry],
      async collect() {
        const groups = await probe.consumerGroups();
        this.reset();
        for (const g of groups ?? []) for (const t of g.topics) this.set({ group: g.group, topic: t.topic }, t.lag);
      },
    });
  }
}
