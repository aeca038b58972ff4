import { Inject, Injectable } from '@nestjs/common';
import { toMonitorSettings } from '@medic/config';
import { ceTypesOf } from '@medic/contracts';
import { DockerEngine } from '@medic/containers';
import type { KillEvent } from '@medic/domain';
import { databaseOf, EventLog, header, provisionTopics, STEP_DEPS, transactionalStep, type LogDispatch, type LogWorker, type StepDeps, type TransactionalProcessor } from '@medic/eventlog';
import { counter, Logger } from '@medic/observability';
import { CheckFiring } from './checks/check-firing';
import { nameProbes, type NamedProbe } from './checks/probes';
import { MONITOR_FOLLOWS } from './monitor.handlers';
import { MONITOR_SOURCE, MONITOR_STEP } from './monitor.schema';
import { runMonitor, type MonitorReport, type MonitorStepSettings } from './monitor.step';

/**
 * Watches resurrected modules: one transactional step follows the kill log
 * (resurrections, rollbacks, re-kills), and the watches' durable timers fire
 * the health checks.
 */
@Injectable()
export class MonitorWorker implements LogWorker {
  private readonly logger = new Logger('medic.monitor');
  private step: TransactionalProcessor<MonitorReport> | null = null;
  private checks: CheckFiring | null = null;
  private log: EventLog | null = null;
  private readonly checksRun;
  private readonly recorded;

  constructor(@Inject(STEP_DEPS) private readonly deps: StepDeps) {
    this.checksRun = counter(deps.metrics, 'medic_monitor_checks_total', 'Health checks of resurrected modules recorded');
    this.recorded = counter(deps.metrics, 'medic_monitor_events_total', 'What the monitor recorded: StabilityConfirmed, AnomalyDetected, and outcomes by result', ['type', 'result']);
  }

  async start(dispatch: LogDispatch): Promise<void> {
    const { config, kafka } = this.deps;
    const dataSource = databaseOf(this.deps);
    const topics = config.kafka.topics;
    await provisionTopics(kafka, [topics.kill_events, topics.internal_dlq], { partitions: config.kafka.partitions, replicationFactor: config.kafka.replication_factor });
    const monitor = toMonitorSettings(config);
    const settings: MonitorStepSettings = { source: MONITOR_SOURCE, killEventsTopic: topics.kill_events, monitor };
    const followed = new Set<string>(MONITOR_FOLLOWS);
    const types = new Set(ceTypesOf('kill', [...MONITOR_FOLLOWS]));
    this.step = transactionalStep<MonitorReport>(this.deps, {
      step: MONITOR_STEP,
      topics: [topics.kill_events],
      logger: this.logger,
      relevant: (m) => types.has(header(m.headers, 'ce_type') ?? ''),
      handle: (batches, tx) => runMonitor(batches, tx, settings, dispatch, (type) => followed.has(type)),
      onCommitted: (events) => this.report(events),
    });
    await this.step.start();
    this.log = new EventLog(kafka, { kill: topics.kill_events, control: topics.control_events, command: topics.kill_commands });
    await this.log.connect();
    const probes = new Map<string, NamedProbe[]>(Object.entries(config.resurrection.probes).map(([module, list]) => [module, nameProbes(list)]));
    const slowestProbeMs = Math.max(0, ...[...probes.values()].flat().map((p) => p.config.timeout_seconds * 1000));
    const engineMs = config.resurrection.engine_timeout_seconds * 1000;
    this.checks = new CheckFiring({
      dataSource,
      engine: new DockerEngine(undefined, engineMs),
      log: this.log,
      source: MONITOR_SOURCE,
      settings: monitor,
      probesOf: (module) => probes.get(module) ?? [],
      pollMs: Math.min(1000, Math.max(100, monitor.checkIntervalMs / 4)),
      // A check takes its slowest probe and an inspect (bounded by engineMs); a watch claimed by a replica that died is checked again after this.
      leaseMs: Math.max(10_000, engineMs) + 2 * slowestProbeMs,
      after: { kafka, readers: () => (this.step ? [this.step.progress()] : []) },
      onRecorded: (checked, events) => {
        if (checked) this.checksRun.inc();
        this.report(events);
      },
    });
    this.checks.start();
  }

  async stop(): Promise<void> {
    await this.checks?.stop();
    await this.step?.stop();
    await this.log?.disconnect();
  }

  private report(events: readonly KillEvent[]): void {
    for (const e of events) {
      // Each check is counted (medic_monitor_checks_total), not logged.
      if (e.type === 'HealthChecked') continue;
      this.recorded.inc({ type: e.type, result: e.type === 'OutcomeRecorded' ? e.result : '' });
      const detail =
        e.type === 'OutcomeRecorded'
          ? { result: e.result, time_to_stable_seconds: e.timeToStableSeconds }
          : e.type === 'AnomalyDetected'
            ? { anomaly_score: e.anomalyScore, findings: e.findings }
            : e.type === 'StabilityConfirmed'
              ? { time_to_stable_seconds: e.timeToStableSeconds }
              : {};
      this.logger.info(e.type, { kill_id: e.killId, ...detail });
    }
  }
}
