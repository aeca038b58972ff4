import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { ceTypesOf } from '@medic/contracts';
import { header, provisionTopics, statelessStep, STEP_DEPS, type LogDispatch, type LogWorker, type StepDeps, type TransactionalProcessor } from '@medic/eventlog';
import { counter, Logger } from '@medic/observability';
import { runEnrichment, type EnrichmentReport } from './enrichment.step';
import { REPORTED_TYPES, runReport } from './report.step';
import { SIEM } from './siem.provider';
import type { ResilientSiem } from './siem/resilient-siem';

export const ENRICHMENT_SOURCE = 'medic/enrichment';
/** How long the write-back step gathers decisions and outcomes into one round (one bulk request). */
const REPORT_GATHER_MS = 1_000;

/**
 * Two steps on the kill log: `enrichment` gives every reported kill its SIEM
 * context, `enrichment-report` writes decisions and outcomes back into the
 * SIEM. Both are stateless: what they learn or write lives in the SIEM and
 * the log, so Kafka's transactions alone make them exactly once, with no
 * Postgres round per batch. Without a SIEM configured there is nothing to do.
 */
@Injectable()
export class EnrichmentWorker implements LogWorker, OnApplicationShutdown {
  private readonly logger = new Logger('medic.enrichment');
  private steps: TransactionalProcessor<unknown>[] = [];
  private readonly enriched;
  private readonly reported;

  constructor(
    @Inject(STEP_DEPS) private readonly deps: StepDeps,
    @Inject(SIEM) private readonly siem: ResilientSiem | null,
  ) {
    this.enriched = counter(deps.metrics, 'medic_enrichments_total', 'Kills given SIEM context, by whether the SIEM answered', ['siem_status']);
    this.reported = counter(deps.metrics, 'medic_siem_documents_total', 'Decisions and outcomes written into the SIEM');
  }

  async start(dispatch: LogDispatch): Promise<void> {
    const { config, kafka } = this.deps;
    const { siem } = this;
    if (!siem) {
      this.logger.info('no SIEM is configured (siem.enabled is false): nothing to enrich');
      return;
    }
    const topics = config.kafka.topics;
    await provisionTopics(kafka, [topics.kill_events, topics.internal_dlq], { partitions: config.kafka.partitions, replicationFactor: config.kafka.replication_factor });
    const settings = { source: ENRICHMENT_SOURCE, killEventsTopic: topics.kill_events, historicalDays: config.siem.historical_days };
    const only = (types: readonly string[]) => {
      const wanted = new Set(types);
      return (m: { headers?: Parameters<typeof header>[0] }) => wanted.has(header(m.headers, 'ce_type') ?? '');
    };
    const enrich = statelessStep<EnrichmentReport>(this.deps, {
      step: 'enrichment',
      topics: [topics.kill_events],
      logger: this.logger,
      relevant: only(ceTypesOf('kill', ['KillReported'])),
      // A SIEM read (ARCHITECTURE §2b): its answer is appended with the idempotent producer, not in a transaction.
      // A kill enriched twice (a crash before the offsets were committed) has two contexts; the workflow keeps the first.
      atLeastOnce: true,
      handle: (batches) => runEnrichment(batches, settings, siem, () => new Date(), dispatch),
      onCommitted: (report) => {
        for (const e of report.enriched) this.enriched.inc({ siem_status: e.siemStatus });
      },
    });
    const report = statelessStep<number>(this.deps, {
      step: 'enrichment-report',
      topics: [topics.kill_events],
      logger: this.logger,
      relevant: only(ceTypesOf('kill', [...REPORTED_TYPES])),
      // Analysts see Medic's index as it is refreshed, every 5 s: a second's gathering costs them nothing.
      gatherMs: REPORT_GATHER_MS,
      handle: (batches) => runReport(batches, siem, dispatch),
      onCommitted: (n) => this.reported.inc(n),
    });
    this.steps = [enrich, report] as TransactionalProcessor<unknown>[];
    await Promise.all(this.steps.map((s) => s.start()));
  }

  async stop(): Promise<void> {
    await Promise.all(this.steps.map((s) => s.stop()));
  }

  async onApplicationShutdown(): Promise<void> {
    await this.siem?.client.close();
  }
}
