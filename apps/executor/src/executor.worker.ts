import { Inject, Injectable } from '@nestjs/common';
import { ceTypesOf } from '@medic/contracts';
import { header, provisionTopics, STEP_DEPS, transactionalStep, type LogDispatch, type LogWorker, type StepDeps, type TransactionalProcessor } from '@medic/eventlog';
import { counter, Logger } from '@medic/observability';
import { DockerEngine } from '@medic/containers';
import { EXECUTOR_SOURCE } from './executor.handlers';
import { runExecutor, type ExecutorReport } from './executor.step';
import { ROLLBACK_ACTED_ON } from './rollback.handlers';

const ACTED_ON = ['DecisionMade', 'ApprovalGranted', 'ResurrectionStarted', ...ROLLBACK_ACTED_ON] as const;

/** Brings approved modules back through the container engine, one transactional step on the kill log. */
@Injectable()
export class ExecutorWorker implements LogWorker {
  private readonly logger = new Logger('medic.executor');
  private step: TransactionalProcessor<ExecutorReport> | null = null;
  private readonly results;

  constructor(@Inject(STEP_DEPS) private readonly deps: StepDeps) {
    this.results = counter(deps.metrics, 'medic_resurrections_total', 'Resurrections by result', ['result']);
  }

  async start(dispatch: LogDispatch): Promise<void> {
    const { config, kafka } = this.deps;
    const topics = config.kafka.topics;
    await provisionTopics(kafka, [topics.kill_events, topics.internal_dlq], { partitions: config.kafka.partitions, replicationFactor: config.kafka.replication_factor });
    const wanted = new Set<string>(ACTED_ON);
    const types = new Set(ceTypesOf('kill', [...ACTED_ON]));
    const engine = new DockerEngine();
    const settings = { source: EXECUTOR_SOURCE, killEventsTopic: topics.kill_events };
    this.step = transactionalStep<ExecutorReport>(this.deps, {
      step: 'executor',
      topics: [topics.kill_events],
      logger: this.logger,
      relevant: (m) => types.has(header(m.headers, 'ce_type') ?? ''),
      handle: (batches, tx) => runExecutor(batches, tx, engine, settings, dispatch, (type) => wanted.has(type)),
      onCommitted: (events) => {
        for (const e of events) {
          if (e.type === 'ResurrectionSucceeded') this.results.inc({ result: 'succeeded' });
          if (e.type === 'ResurrectionFailed') this.results.inc({ result: 'failed' });
          if (e.type !== 'ResurrectionStarted') this.logger.info(`${e.type}`, { kill_id: e.killId, ...(e.type === 'ResurrectionFailed' || e.type === 'RollbackFailed' || e.type === 'RollbackStarted' ? { reason: e.reason } : {}) });
        }
      },
    });
    await this.step.start();
  }

  async stop(): Promise<void> {
    await this.step?.stop();
  }
}
