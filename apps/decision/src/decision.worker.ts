import { Inject, Injectable } from '@nestjs/common';
import { enrichmentWaitMs, toPolicySettings, toRiskSettings } from '@medic/config';
import { ceTypesOf, KILL_EVENT_TYPES } from '@medic/contracts';
import { AUTO_APPROVER, type KillEvent, type PolicySettings } from '@medic/domain';
import { databaseOf, EventLog, handlingTraceOf, header, provisionTopics, STEP_DEPS, transactionalStep, type LogDispatch, type LogWorker, type StepDeps, type TransactionalProcessor } from '@medic/eventlog';
import { counter, histogram, Logger } from '@medic/observability';
import { foldedByWorkflow, runWorkflow, WORKFLOW_CONTROL_TYPES, type WorkflowReport, type WorkflowSettings } from './workflow/kill-workflow.step';
import { WORKFLOW_SOURCE as SOURCE, WORKFLOW_STEP } from './workflow/rebuild-workflow-state';
import { killTimerFiring } from './workflow/timer-firing';


/** Whether a decision may spend the hourly auto budget or take a place on the approval queue: every mode but observer. */
function sharesLimits(policy: PolicySettings): boolean {
  return policy.mode !== 'observer';
}

/**
 * The kill workflow: decides each reported kill and answers each command,
 * transactionally, and fires the kills' due timers as commands.
 */
@Injectable()
export class DecisionWorker implements LogWorker {
  private readonly logger = new Logger('medic.decision');
  private processor: TransactionalProcessor<WorkflowReport> | null = null;
  private timers: ReturnType<typeof killTimerFiring> | null = null;
  private log: EventLog | null = null;
  private readonly made;
  private readonly latency;
  private readonly verdicts;
  private readonly rejected;
  private readonly fired;
  private readonly grounds;

  constructor(@Inject(STEP_DEPS) private readonly deps: StepDeps) {
    const { metrics } = deps;
    this.made = counter(metrics, 'medic_decisions_total', 'Decisions made, by outcome and risk level', ['outcome', 'risk_level', 'mode']);
    this.latency = histogram(metrics, 'medic_kill_to_decision_seconds', 'From KillReported to its decision being committed', [], [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5]);
    this.verdicts = counter(metrics, 'medic_approval_verdicts_total', 'Resurrections approved or denied, by who decided (policy or human), and approvals expired', ['verdict', 'approver_kind']);
    this.rejected = counter(metrics, 'medic_commands_rejected_total', 'Commands the kill workflow refused, by command and reason code', ['command', 'code']);
    this.fired = counter(metrics, 'medic_timers_fired_total', 'Due timers fired as commands', ['command']);
    this.grounds = counter(
      metrics,
      'medic_decision_grounds_total',
      'Why decisions were not auto-approved: each denial and each unmet condition for auto-approval (kill_burst, budget_spent, risk_level, …)',
      ['kind', 'ground'],
    );
  }

  async start(dispatch: LogDispatch): Promise<void> {
    const { config, kafka } = this.deps;
    const dataSource = databaseOf(this.deps);
    const topics = config.kafka.topics;
    await provisionTopics(kafka, [topics.kill_events, topics.kill_commands, topics.control_events, topics.internal_dlq], {
      partitions: config.kafka.partitions,
      replicationFactor: config.kafka.replication_factor,
    });
    const settings: WorkflowSettings = {
      source: SOURCE,
      killEventsTopic: topics.kill_events,
      commandsTopic: topics.kill_commands,
      controlTopic: topics.control_events,
      policy: toPolicySettings(config),
      risk: toRiskSettings(config),
      siem: { waitMs: enrichmentWaitMs(config) },
      historyDays: 30,
      quarantineAfterReKills: config.resurrection.quarantine_after_rekills,
    };
    const controlTypes = new Set(ceTypesOf('control', [...WORKFLOW_CONTROL_TYPES]));
    const passedBy = new Set(ceTypesOf('kill', KILL_EVENT_TYPES.filter((t) => !foldedByWorkflow(t))));
    const groupId = `${config.kafka.consumer.group_prefix}-decision`;
    this.processor = transactionalStep(this.deps, {
      step: WORKFLOW_STEP,
      groupId,
      topics: [topics.kill_events, topics.kill_commands, topics.control_events],
      logger: this.logger,
      // One hourly auto-resurrection budget and one bounded approval queue across partitions and
      // replicas: rounds that may spend or fill them take turns. In observer mode, where neither
      // is used, replicas run in parallel.
      ...(sharesLimits(settings.policy) ? { serializeHandling: `${groupId}:limits` } : {}),
      // What the workflow appended to the kill log is folded in when appended; it passes by here.
      // Of the control log, only module releases concern it.
      relevant: (m, topic) =>
        topic === topics.control_events
          ? controlTypes.has(header(m.headers, 'ce_type') ?? '')
          : topic !== topics.kill_events || (header(m.headers, 'ce_source') !== SOURCE && !passedBy.has(header(m.headers, 'ce_type') ?? '')),
      handle: (batches, tx) => runWorkflow(batches, tx, settings, () => new Date(), dispatch),
      onCommitted: (report) => this.record(report),
    });
    await this.processor.start();
    this.log = new EventLog(kafka, { kill: topics.kill_events, control: topics.control_events, command: topics.kill_commands });
    await this.log.connect();
    this.timers = killTimerFiring({
      dataSource,
      log: this.log,
      source: SOURCE,
      pollMs: 250,
      leaseMs: 30_000,
      after: { kafka, readers: () => (this.processor ? [this.processor.progress()] : []) },
      onFired: (commands) => {
        for (const c of commands) this.fired.inc({ command: c.type });
      },
    });
    this.timers.start();
  }

  async stop(): Promise<void> {
    await this.timers?.stop();
    await this.processor?.stop();
    await this.log?.disconnect();
  }

  /** Logged and counted only once the round is committed to the log. */
  private record(report: WorkflowReport): void {
    const committedAt = Date.now();
    for (const { event, cause } of report.decisions) {
      const d = event.decision;
      this.made.inc({ outcome: d.outcome, risk_level: d.riskLevel, mode: d.mode });
      this.latency.observe((committedAt - Date.parse(cause.time)) / 1000);
      if (d.outcome === 'deny') this.verdicts.inc({ verdict: 'denied', approver_kind: 'policy' });
      if (d.outcome === 'approve_auto' && !d.observeOnly) this.verdicts.inc({ verdict: 'approved', approver_kind: 'policy' });
      for (const ground of d.grounds?.denials ?? []) this.grounds.inc({ kind: 'denial', ground });
      for (const ground of d.grounds?.autoApproveBarriers ?? []) this.grounds.inc({ kind: 'barrier', ground });
      this.logger.info(
        'Resurrection decision made',
        { kill_id: d.killId, decision_id: d.decisionId, outcome: d.outcome, risk_level: d.riskLevel, risk_score: d.riskScore, confidence: d.confidence, observe_only: d.observeOnly },
        handlingTraceOf(cause),
      );
    }
    for (const { command, events, cause } of report.answers) {
      for (const e of events) this.countAnswer(e);
      const answer = events.map((e) => (e.type === 'CommandRejected' ? `rejected (${e.code}): ${e.reason}` : e.type)).join(', ');
      this.logger.info(`${command.type} answered: ${answer}`, { kill_id: command.killId, command_id: command.commandId }, handlingTraceOf(cause));
    }
    for (const killId of report.duplicates) this.logger.info('repeated KillReported skipped', { kill_id: killId });
  }

  private countAnswer(e: KillEvent): void {
    if (e.type === 'CommandRejected') this.rejected.inc({ command: e.commandType, code: e.code });
    if (e.type === 'ApprovalGranted') this.verdicts.inc({ verdict: 'approved', approver_kind: e.approver === AUTO_APPROVER ? 'policy' : 'human' });
    if (e.type === 'ApprovalDenied') this.verdicts.inc({ verdict: 'denied', approver_kind: 'human' });
    if (e.type === 'ApprovalExpired') this.verdicts.inc({ verdict: 'expired', approver_kind: 'timer' });
  }
}
