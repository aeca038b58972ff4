import { provisionTopics, transactionalStep, type LogProgress, type StepDeps, type TransactionalProcessor } from '@medic/eventlog';
import type { Logger } from '@medic/observability';
import { ANSWERS_STEP, takeAnswers, type AnswerVerdict } from './answers.step';
import type { NegotiatorSettings } from './negotiator.settings';

/**
 * One transactional step per reply topic Smith answers on. Only the
 * configured ones (`settings.replyTopics`) are ever provisioned or read: a
 * topic named by input (a kill's reply_to, an exchange opened before the list
 * existed) is refused, never created nor subscribed to. A topic is read from
 * its start on first use, so an answer is never missed for want of a reader.
 */
export class AnswerSteps {
  private readonly steps = new Map<string, TransactionalProcessor<readonly AnswerVerdict[]>>();
  private readonly refused = new Set<string>();
  private turn: Promise<void> = Promise.resolve();
  private stopped = false;

  constructor(
    private readonly deps: StepDeps,
    private readonly settings: NegotiatorSettings,
    private readonly logger: Logger,
    private readonly onCommitted: (verdicts: readonly AnswerVerdict[], topic: string) => void,
  ) {}

  /** Starts reading the configured topics among `topics` not read yet (one call at a time); resolves to those of `topics` that are read. */
  ensure(topics: Iterable<string>): Promise<ReadonlySet<string>> {
    const wanted = [...new Set(topics)];
    const next = this.turn.then(() => this.startMissing(wanted.filter((t) => this.configured(t))));
    this.turn = next.catch(() => undefined);
    return next.then(() => new Set(wanted.filter((t) => this.steps.has(t))));
  }

  /** How far each reply topic has been read. */
  progress(): LogProgress[] {
    return [...this.steps.values()].map((s) => s.progress());
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.turn;
    await Promise.all([...this.steps.values()].map((s) => s.stop()));
  }

  private configured(topic: string): boolean {
    if (this.settings.replyTopics.includes(topic)) return true;
    if (!this.refused.has(topic)) {
      this.refused.add(topic);
      this.logger.warn('not reading Smith answers from a topic outside smith.veto_protocol.reply_topics', { topic, reply_topics: this.settings.replyTopics.join(',') });
    }
    return false;
  }

  private async startMissing(topics: readonly string[]): Promise<void> {
    const missing = topics.filter((t) => !this.steps.has(t));
    if (missing.length === 0 || this.stopped) return;
    const { config } = this.deps;
    await provisionTopics(this.deps.kafka, missing, { partitions: config.kafka.partitions, replicationFactor: config.kafka.replication_factor });
    for (const topic of missing) {
      const step = transactionalStep<readonly AnswerVerdict[]>(this.deps, {
        step: ANSWERS_STEP,
        groupId: `${config.kafka.consumer.group_prefix}-${ANSWERS_STEP}-${topic}`,
        topics: [topic],
        logger: this.logger,
        handle: (batches, tx) => takeAnswers(batches, tx, this.settings, () => new Date()),
        onCommitted: (verdicts) => this.onCommitted(verdicts, topic),
      });
      this.steps.set(topic, step);
      await step.start();
      this.logger.info('reading Smith answers', { topic });
    }
  }
}
