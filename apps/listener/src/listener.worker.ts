import { Inject, Injectable } from '@nestjs/common';
import { enrichmentWaitMs, replyTopicsOf } from '@medic/config';
import { provisionTopics, STEP_DEPS, transactionalStep, type LogWorker, type StepDeps, type TransactionalProcessor } from '@medic/eventlog';
import { counter, Logger } from '@medic/observability';
import { reportSigning } from './report-signatures';
import { takeInBatches, type IntakeVerdict } from './kill-intake';

/** Consumes Smith's kill notifications and appends KillReported (or dead-letters) transactionally. */
@Injectable()
export class ListenerWorker implements LogWorker {
  private readonly logger = new Logger('medic.listener');
  private processor: TransactionalProcessor<readonly IntakeVerdict[]> | null = null;
  private readonly received;

  constructor(@Inject(STEP_DEPS) private readonly deps: StepDeps) {
    this.received = counter(deps.metrics, 'medic_kill_reports_total', 'Kill notifications taken in, by verdict', ['verdict', 'code']);
  }

  async start(): Promise<void> {
    const { config } = this.deps;
    const bus = config.smith.event_bus;
    const topics = [bus.topic, bus.dlq_topic, config.kafka.topics.kill_events, config.kafka.topics.kill_commands, config.kafka.topics.control_events, config.kafka.topics.internal_dlq];
    await provisionTopics(this.deps.kafka, topics, { partitions: config.kafka.partitions, replicationFactor: config.kafka.replication_factor });
    const settings = { source: 'medic/listener', killEventsTopic: config.kafka.topics.kill_events, dlqTopic: bus.dlq_topic, limits: { maxMessageBytes: bus.max_message_bytes, replyTopics: replyTopicsOf(config) }, signing: reportSigning(config), enrichmentWaitMs: enrichmentWaitMs(config) };
    this.processor = transactionalStep(this.deps, {
      step: 'listener',
      groupId: bus.consumer_group,
      topics: [bus.topic],
      logger: this.logger,
      handle: async (batches, tx) => {
        const results = await takeInBatches(batches, tx, settings, () => new Date());
        return results.map((result) => ({ outputs: result.outputs, report: result.verdicts }));
      },
      // Counted and logged only once the batch's events are in the log.
      onCommitted: (verdicts) => this.record(verdicts),
    });
    await this.processor.start();
  }

  async stop(): Promise<void> {
    await this.processor?.stop();
  }

  private record(verdicts: readonly IntakeVerdict[]): void {
    for (const v of verdicts) {
      if (v.kind === 'dead_letter') {
        this.received.inc({ verdict: v.kind, code: v.code });
        this.logger.warn('kill notification dead-lettered', { code: v.code, reason: v.reason });
      } else {
        // A report that left fields out is counted apart, so a dashboard shows when Smith moved to a later version.
        this.received.inc({ verdict: v.kind, code: v.kind !== 'duplicate' && v.ignoredFields.length > 0 ? 'ignored_fields' : '' });
        if (v.kind === 'duplicate') this.logger.info('repeated kill_id dropped', { kill_id: v.killId });
        else if (v.ignoredFields.length > 0) {
          // Smith speaks a later minor version: worth an operator's look, since this Medic cannot weigh what it added.
          this.logger.warn('kill reported; fields of a later message version left out', { kill_id: v.killId, version: v.version, ignored_fields: v.ignoredFields, redelivered: v.kind === 'redelivered' });
        } else this.logger.info('kill reported', { kill_id: v.killId, redelivered: v.kind === 'redelivered' });
      }
    }
  }
}
