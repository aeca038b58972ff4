import { Inject, Injectable } from '@nestjs/common';
import { toCascadeSettings, toStandingSettings } from '@medic/config';
import { ceTypesOf } from '@medic/contracts';
import { header, projectionRunners, provisionTopics, STEP_DEPS, transactionalStep, type LogDispatch, type LogWorker, type ProjectionRunner, type StepDeps, type TransactionalProcessor } from '@medic/eventlog';
import { counter, Logger } from '@medic/observability';
import { MODULE_RELEASES } from './backoff/module-standing';
import { DockerEngine } from '@medic/containers';
import { DockerSnapshots } from './container-snapshot';
import { EXECUTOR_SOURCE } from './executor.handlers';
import { EXECUTOR_STEP } from './executor.schema';
import { runExecutor, type ExecutorReport } from './executor.step';
import { ROLLBACK_ACTED_ON } from './rollback.handlers';
import { CASCADE_FOLDED } from './cascade/cascade';

const ACTED_ON = ['KillReported', 'DecisionMade', 'ApprovalGranted', 'VetoCleared', 'ResurrectionStarted', 'ResurrectionResumed', ...ROLLBACK_ACTED_ON] as const;
/**
 * Folded, not acted on: outcomes into the modules' standing (re-kills hold later resurrections
 * back), a resurrection's container into its kill's row (what a rollback stops), what settles
 * a kill into its cascade (its dependents wait for it), and what holds a dependent back.
 */
const FOLDED = ['OutcomeRecorded', 'ResurrectionSucceeded', ...CASCADE_FOLDED] as const;

/** Brings approved modules back through the container engine, one transactional step on the kill log. */
@Injectable()
export class ExecutorWorker implements LogWorker {
  private readonly logger = new Logger('medic.executor');
  private step: TransactionalProcessor<ExecutorReport> | null = null;
  private releases: ProjectionRunner[] = [];
  private readonly results;

  constructor(@Inject(STEP_DEPS) private readonly deps: StepDeps) {
    this.results = counter(deps.metrics, 'medic_resurrections_total', 'Resurrection attempts by result: succeeded, retrying (refused, tried again) or failed', ['result']);
  }

  async start(dispatch: LogDispatch): Promise<void> {
    const { config, kafka } = this.deps;
    const topics = config.kafka.topics;
    await provisionTopics(kafka, [topics.kill_events, topics.kill_commands, topics.internal_dlq], { partitions: config.kafka.partitions, replicationFactor: config.kafka.replication_factor });
    const wanted = new Set<string>(ACTED_ON);
    const types = new Set(ceTypesOf('kill', [...ACTED_ON, ...FOLDED]));
    const engineMs = config.resurrection.engine_timeout_seconds * 1000;
    const engines = { engine: new DockerEngine(undefined, engineMs), snapshots: new DockerSnapshots(undefined, engineMs, this.logger) };
    const settings = {
      source: EXECUTOR_SOURCE,
      killEventsTopic: topics.kill_events,
      killCommandsTopic: topics.kill_commands,
      blacklistedModules: config.constraints.blacklisted_modules,
      vetoProtocol: config.smith.veto_protocol.enabled,
      standing: toStandingSettings(config),
      defaultValidMinutes: config.decision.default_timeout_minutes,
      maxRetryAttempts: config.resurrection.max_retry_attempts,
      approvalTimeoutHours: config.interfaces.approval_queue.timeout_hours,
      cascade: toCascadeSettings(config),
    };
    // Releases from quarantine reset a module's backoff; they come rarely, from an admin, and get a runner of their own.
    this.releases = await projectionRunners(this.deps, EXECUTOR_STEP, [MODULE_RELEASES]);
    await Promise.all(this.releases.map((r) => r.start()));
    this.step = transactionalStep<ExecutorReport>(this.deps, {
      step: EXECUTOR_STEP,
      topics: [topics.kill_events],
      logger: this.logger,
      relevant: (m) => types.has(header(m.headers, 'ce_type') ?? ''),
      handle: (batches, tx) => runExecutor(batches, tx, engines, settings, dispatch, (type) => wanted.has(type)),
      onCommitted: (events) => {
        for (const e of events) {
          if (e.type === 'ResurrectionSucceeded') this.results.inc({ result: 'succeeded' });
          // A refusal another attempt follows is not a failed resurrection yet.
          if (e.type === 'ResurrectionFailed') this.results.inc({ result: e.retriable ? 'retrying' : 'failed' });
          if (e.type !== 'ResurrectionStarted') this.logger.info(`${e.type}`, { kill_id: e.killId, ...(e.type === 'ResurrectionFailed' || e.type === 'RollbackFailed' || e.type === 'RollbackStarted' ? { reason: e.reason } : {}) });
        }
      },
    });
    await this.step.start();
  }

  async stop(): Promise<void> {
    await this.step?.stop();
    await Promise.all(this.releases.map((r) => r.stop()));
  }
}
