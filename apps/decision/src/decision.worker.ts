import { Inject, Injectable } from '@nestjs/common';
import type { Kafka } from 'kafkajs';
import type { Registry } from 'prom-client';
import type { DataSource } from 'typeorm';
import { toPolicySettings, toRiskSettings, type MedicConfig } from '@medic/config';
import type { PolicySettings } from '@medic/domain';
import { DATA_SOURCE, provisionTopics, header, KAFKA, MEDIC_CONFIG, METRICS, TransactionalProcessor, type LogWorker } from '@medic/eventlog';
import { counter, histogram, Logger } from '@medic/observability';
import { decideBatches, type DecisionSettings, type DecisionStepResult } from './decision-step';

function spendsBudget(policy: PolicySettings): boolean {
  return policy.autoApprove.enabled && (policy.mode === 'semi_auto' || policy.mode === 'full_auto');
}

/** Turns each KillReported into an explained decision, transactionally. */
@Injectable()
export class DecisionWorker implements LogWorker {
  private readonly logger = new Logger('medic.decision');
  private processor: TransactionalProcessor<DecisionStepResult> | null = null;
  private readonly made;
  private readonly latency;

  constructor(
    @Inject(MEDIC_CONFIG) private readonly config: MedicConfig,
    @Inject(KAFKA) private readonly kafka: Kafka,
    @Inject(DATA_SOURCE) private readonly dataSource: DataSource,
    @Inject(METRICS) private readonly metrics: Registry,
  ) {
    this.made = counter(metrics, 'medic_decisions_total', 'Decisions made, by outcome and risk level', ['outcome', 'risk_level', 'mode']);
    this.latency = histogram(metrics, 'medic_kill_to_decision_seconds', 'From KillReported to its decision being committed', [], [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5]);
  }

  async start(): Promise<void> {
    const { config } = this;
    const topic = config.kafka.topics.kill_events;
    await provisionTopics(this.kafka, [topic], { partitions: config.kafka.partitions, replicationFactor: config.kafka.replication_factor });
    const settings: DecisionSettings = {
      source: 'medic/decision',
      killEventsTopic: topic,
      policy: toPolicySettings(config),
      risk: toRiskSettings(config),
      historyDays: 30,
    };
    const groupId = `${config.kafka.consumer.group_prefix}-decision`;
    this.processor = new TransactionalProcessor({
      kafka: this.kafka,
      dataSource: this.dataSource,
      groupId,
      transactionalIdPrefix: groupId,
      topics: [topic],
      maxWaitMs: config.kafka.consumer.max_wait_ms,
      sessionTimeoutMs: config.kafka.consumer.session_timeout_ms,
      logger: this.logger,
      // One hourly auto-resurrection budget across partitions and replicas: batches that may
      // spend it take turns. Where nothing is auto-approved, partitions run in parallel.
      ...(spendsBudget(settings.policy) ? { serializeHandling: `${groupId}:auto-budget` } : {}),
      // The decision step reacts to reports only; its own outputs pass by without a transaction.
      relevant: (m) => header(m.headers, 'ce_type') === 'medic.kill.v1.KillReported',
      handle: async (batches, tx) => {
        const results = await decideBatches(batches, tx, settings, () => new Date());
        return results.map((result) => ({ outputs: result.outputs, report: result }));
      },
      onCommitted: (result) => this.record(result),
      metrics: { registry: this.metrics, step: 'decision' },
    });
    await this.processor.start();
  }

  async stop(): Promise<void> {
    await this.processor?.stop();
  }

  /** Logged and counted only once the decisions are committed to the log. */
  private record(result: DecisionStepResult): void {
    const committedAt = Date.now();
    for (const { event, cause } of result.decisions) {
      const d = event.decision;
      this.made.inc({ outcome: d.outcome, risk_level: d.riskLevel, mode: d.mode });
      this.latency.observe((committedAt - Date.parse(cause.time)) / 1000);
      this.logger.info(
        'Resurrection decision made',
        { kill_id: d.killId, decision_id: d.decisionId, outcome: d.outcome, risk_level: d.riskLevel, risk_score: d.riskScore, confidence: d.confidence, observe_only: d.observeOnly },
        cause.trace,
      );
    }
    for (const killId of result.duplicates) this.logger.info('repeated KillReported skipped', { kill_id: killId });
  }
}
