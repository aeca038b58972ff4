import { Inject, Injectable } from '@nestjs/common';
import type { Producer } from 'kafkajs';
import { ceTypesOf } from '@medic/contracts';
import type { VetoEvent } from '@medic/domain';
import { databaseOf, EOS_PRODUCER, header, provisionTopics, STEP_DEPS, transactionalStep, type LogDispatch, type LogWorker, type StepDeps, type TransactionalProcessor } from '@medic/eventlog';
import { counter, Logger } from '@medic/observability';
import { AnswerSteps } from './answer-steps';
import type { AnswerVerdict } from './answers.step';
import { NEGOTIATOR_READS } from './negotiator.handlers';
import { negotiatorSettings } from './negotiator.settings';
import { runNegotiation, type NegotiationReport } from './negotiation.step';
import { NEGOTIATION_STEP } from './veto-kills';
import { VetoTimers } from './veto-timers';

/**
 * The veto exchange with Smith (spec 4.4): a transactional step on the kill
 * log that asks about each approved resurrection, one per reply topic that
 * takes Smith's answers, and the timers that send notices and settle silence.
 * With `smith.veto_protocol.enabled` off it only notes kills and asks nothing.
 */
@Injectable()
export class NegotiatorWorker implements LogWorker {
  private readonly logger = new Logger('medic.negotiator');
  private step: TransactionalProcessor<NegotiationReport> | null = null;
  private answers: AnswerSteps | null = null;
  private timers: VetoTimers | null = null;
  private producer: Producer | null = null;
  private readonly settled;
  private readonly answered;
  private readonly notices;

  constructor(@Inject(STEP_DEPS) private readonly deps: StepDeps) {
    const { metrics } = deps;
    this.settled = counter(metrics, 'medic_veto_exchanges_total', "Veto exchanges' steps by event and basis (asked, deferred, cleared, vetoed)", ['event', 'basis']);
    this.answered = counter(metrics, 'medic_veto_answers_total', "Messages on Smith's reply topics: settled, ignored (another type), dead-lettered (by code)", ['verdict', 'code']);
    this.notices = counter(metrics, 'medic_veto_notices_sent_total', 'Pre-resurrection notices sent to Smith');
  }

  async start(dispatch: LogDispatch): Promise<void> {
    const { config, kafka } = this.deps;
    const dataSource = databaseOf(this.deps);
    const settings = negotiatorSettings(config);
    const topics = config.kafka.topics;
    const layout = { partitions: config.kafka.partitions, replicationFactor: config.kafka.replication_factor };
    await provisionTopics(kafka, [topics.kill_events, topics.internal_dlq, ...(settings.enabled ? [settings.noticeTopic, settings.dlqTopic] : [])], layout);

    if (settings.enabled) {
      this.producer = kafka.producer(EOS_PRODUCER);
      await this.producer.connect();
      const answers = new AnswerSteps(this.deps, settings, this.logger, (verdicts, topic) => this.recordAnswers(verdicts, topic));
      this.answers = answers;
      // Every configured reply topic, and never another: open exchanges await answers on these only.
      await answers.ensure(settings.replyTopics);
      this.timers = new VetoTimers({
        dataSource,
        producer: this.producer,
        settings,
        pollMs: 250,
        beforeSend: (replyTopics) => answers.ensure(replyTopics),
        onSent: (sent) => {
          this.notices.inc(sent.length);
          for (const n of sent) this.logger.info('pre-resurrection notice sent to Smith', { kill_id: n.kill_id, request_id: n.request_id, correlation_id: n.correlation_id });
        },
        onWithheld: (withheld) => {
          for (const n of withheld) {
            this.logger.warn('pre-resurrection notice not sent: its reply topic is not one of smith.veto_protocol.reply_topics; the deadline settles it by default', { kill_id: n.kill_id, request_id: n.request_id, reply_to: n.reply_to });
          }
        },
        onFired: (events) => this.recordEvents(events),
        onAskedAgain: (asks) => {
          for (const a of asks) this.logger.warn('pre-resurrection notice not sent with less than half its time left; Smith is asked again with a new deadline', { kill_id: a.killId, request_id: a.requestId, deadline: a.deadline });
          this.recordEvents(asks);
        },
        after: { kafka, readers: () => [...(this.step ? [this.step.progress()] : []), ...answers.progress()] },
      });
    } else {
      this.logger.info('veto protocol off (smith.veto_protocol.enabled): kills are noted, Smith is not asked');
    }

    const types = new Set(ceTypesOf('kill', [...NEGOTIATOR_READS]));
    const wanted = new Set<string>(NEGOTIATOR_READS);
    this.step = transactionalStep<NegotiationReport>(this.deps, {
      step: NEGOTIATION_STEP,
      topics: [topics.kill_events],
      logger: this.logger,
      relevant: (m) => types.has(header(m.headers, 'ce_type') ?? ''),
      handle: (batches, tx) => runNegotiation(batches, tx, settings, dispatch, (type) => wanted.has(type), () => new Date()),
      onCommitted: (report) => {
        for (const r of report.redirected) {
          this.logger.warn("kill's reply_to is not one of smith.veto_protocol.reply_topics: Smith is asked to answer on the default reply topic", { kill_id: r.killId, reply_to: r.replyTo, answer_on: settings.defaultReplyTo });
        }
        this.recordEvents(report.asked);
        if (report.ready > 0) this.timers?.wake();
      },
    });
    await this.step.start();
    // Once the step is there: the timers wait for it to read the backlog.
    this.timers?.start();
  }

  async stop(): Promise<void> {
    await this.step?.stop();
    await this.timers?.stop();
    await this.answers?.stop();
    await this.producer?.disconnect();
  }

  private recordAnswers(verdicts: readonly AnswerVerdict[], topic: string): void {
    for (const v of verdicts) {
      if (v.kind === 'settled') {
        this.answered.inc({ verdict: 'settled', code: '' });
        this.recordEvents(v.events);
      } else if (v.kind === 'ignored') {
        this.answered.inc({ verdict: 'ignored', code: '' });
      } else {
        this.answered.inc({ verdict: 'dead_lettered', code: v.code });
        this.logger.warn("Smith's answer dead-lettered", { topic, code: v.code, reason: v.reason });
      }
    }
  }

  private recordEvents(events: readonly VetoEvent[]): void {
    for (const e of events) {
      const basis = e.type === 'VetoCleared' || e.type === 'ResurrectionVetoed' ? e.basis : '';
      this.settled.inc({ event: e.type, basis });
      this.logger.info(e.type, { kill_id: e.killId, request_id: e.requestId, ...(basis ? { basis } : {}), ...('reason' in e ? { reason: e.reason } : {}) });
    }
  }
}
