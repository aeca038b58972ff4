import { setTimeout as delay } from 'node:timers/promises';
import { Inject, Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { toDecisionThresholds, type MedicConfig } from '@medic/config';
import { calibrate, type DecisionThresholds, type OutcomeResult, type ThresholdsRecalibrated } from '@medic/domain';
import { databaseOf, EventLog, newEnvelope, Poller, projectionRunners, STEP_DEPS, type LogWorker, type ProjectionRunner, type StepDeps } from '@medic/eventlog';
import { counter, Logger } from '@medic/observability';
import { DecisionThresholdsRow, THRESHOLDS_SCOPE, thresholdsUpdateOf } from '@medic/standing';
import { LAST_RECALIBRATION, LEARNING_PROJECTIONS, LEARNING_STEP } from './learning.projections';
import { RecalibrationRow } from './learning.schema';

const LEARNING_SOURCE = 'medic/learning';
const SCHEDULE = 'analysis';
const HOUR_MS = 3_600_000;
/** How long a recalibration waits for its own event to be folded, so the next analysis counts only newer outcomes. */
const FOLDED_WITHIN_MS = 5_000;
/** How long an analysis waits for the projections to fold what the log held when it became due. */
const CATCH_UP_MS = 30_000;

/** Hours between analyses: interval_hours when given, else a day or a week. */
export function analysisIntervalMs(config: MedicConfig): number {
  const a = config.learning.analysis;
  return Math.round((a.interval_hours ?? (a.schedule === 'daily' ? 24 : 24 * 7)) * HOUR_MS);
}

/**
 * The learning service: folds the outcomes of auto-approved resurrections and
 * the thresholds in force from the log, and on its schedule (kept in its
 * schema, so a restart neither skips nor repeats an analysis; replicas take
 * turns on one row) weighs the outcomes since its last recalibration. What
 * calibrate proposes is appended to the control log as ThresholdsRecalibrated
 * when learning.threshold_adjustment is enabled, and only logged otherwise.
 */
@Injectable()
export class LearningWorker implements LogWorker {
  private readonly logger = new Logger('medic.learning');
  private runners: ProjectionRunner[] = [];
  private poller: Poller | null = null;
  private log: EventLog | null = null;
  private readonly runs;
  private readonly configured: DecisionThresholds;

  constructor(@Inject(STEP_DEPS) private readonly deps: StepDeps) {
    this.runs = counter(deps.metrics, 'medic_calibrations_total', 'Analyses of auto-approval outcomes, by what came of them', ['result']);
    this.configured = toDecisionThresholds(deps.config);
  }

  async start(): Promise<void> {
    const { config, kafka } = this.deps;
    if (!config.learning.enabled) {
      this.logger.info('learning is disabled (learning.enabled: false): nothing is analysed');
      return;
    }
    this.runners = await projectionRunners(this.deps, LEARNING_STEP, LEARNING_PROJECTIONS);
    await Promise.all(this.runners.map((r) => r.start()));
    this.log = new EventLog(kafka, { kill: config.kafka.topics.kill_events, control: config.kafka.topics.control_events, command: config.kafka.topics.kill_commands });
    await this.log.connect();
    const interval = analysisIntervalMs(config);
    this.poller = new Poller('learning-analysis', Math.max(250, Math.min(30_000, Math.round(interval / 4))), () => this.runIfDue(interval));
    this.poller.start();
    this.logger.info(`learning: an analysis every ${interval / HOUR_MS} h; thresholds ${config.learning.threshold_adjustment.enabled ? 'move' : 'do not move (threshold_adjustment disabled)'}`);
  }

  async stop(): Promise<void> {
    await this.poller?.stop();
    await Promise.all(this.runners.map((r) => r.stop()));
    await this.log?.disconnect();
  }

  private async runIfDue(interval: number): Promise<number> {
    const due = await this.due(new Date());
    if (due === false) return 0;
    if (due === true) {
      // What the log held before the analysis is weighed: after a restart, a change an admin made meanwhile
      // and the outcomes since the last recalibration are folded first, not left to a later analysis.
      const folded = await Promise.all(this.runners.map((r) => r.foldedToEnd(CATCH_UP_MS)));
      if (folded.includes(false)) this.logger.warn(`analysis: the projections had not folded the whole log after ${CATCH_UP_MS / 1000} s; analysing what they hold`);
    }
    const now = new Date();
    await databaseOf(this.deps).transaction(async (tx) => {
      await tx.query(`INSERT INTO analysis_schedule (scope, next_due_at) VALUES ($1, $2) ON CONFLICT (scope) DO NOTHING`, [SCHEDULE, new Date(now.getTime() + interval)]);
      const [due] = await tx.query<{ next_due_at: Date }[]>(`SELECT next_due_at FROM analysis_schedule WHERE scope = $1 FOR UPDATE`, [SCHEDULE]);
      if (due === undefined || due.next_due_at > now) return;
      await this.analyse(tx, now);
      await tx.query(`UPDATE analysis_schedule SET next_due_at = $2, last_run_at = $3 WHERE scope = $1`, [SCHEDULE, new Date(now.getTime() + interval), now]);
    });
    return 0;
  }

  /** Whether an analysis is due (checked again, under its lock, before it runs); null before the first is scheduled. */
  private async due(now: Date): Promise<boolean | null> {
    const [row] = await databaseOf(this.deps).query<{ next_due_at: Date }[]>(`SELECT next_due_at FROM analysis_schedule WHERE scope = $1`, [SCHEDULE]);
    return row === undefined ? null : row.next_due_at <= now;
  }

  private async analyse(tx: EntityManager, now: Date): Promise<void> {
    const { config } = this.deps;
    const since = (await tx.findOneBy(RecalibrationRow, { scope: LAST_RECALIBRATION }))?.lastAt ?? null;
    const rows = await tx.query<{ result: OutcomeResult }[]>(`SELECT result FROM auto_outcomes WHERE result IS NOT NULL AND ($1::timestamptz IS NULL OR result_at > $1)`, [since]);
    const set = await tx.findOneBy(DecisionThresholdsRow, { scope: THRESHOLDS_SCOPE });
    const inForce = set === null ? this.configured : thresholdsUpdateOf(set);
    const settings = { minSamples: config.learning.analysis.min_samples, maxAdjustmentPercent: config.learning.threshold_adjustment.max_adjustment_percent };
    const proposal = calibrate(
      rows.map((r) => r.result),
      inForce,
      settings,
      now.toISOString(),
      since === null ? null : since.toISOString(),
    );
    if (proposal === null) {
      this.runs.inc({ result: 'unchanged' });
      this.logger.info(`analysis: ${rows.length} auto-approval outcomes since ${since?.toISOString() ?? 'the start'}; thresholds stay (at least ${settings.minSamples} telling outcomes and a success rate of 95 % or more, or under 80 %, move them)`);
      return;
    }
    const direction = proposal.newMaxAutoScore > proposal.previousMaxAutoScore ? 'raised' : 'lowered';
    if (!config.learning.threshold_adjustment.enabled) {
      this.runs.inc({ result: `would_be_${direction}` });
      this.logger.info(`analysis: would have ${direction} the top of ${inForce.maxRiskLevel} risk from ${proposal.previousMaxAutoScore} to ${proposal.newMaxAutoScore} (threshold_adjustment disabled): ${proposal.evidence.join('; ')}`);
      return;
    }
    await this.log!.append('control', [newEnvelope('control', proposal, { source: LEARNING_SOURCE, subject: 'thresholds', time: proposal.at })]);
    this.runs.inc({ result: direction });
    this.logger.info(`recalibrated: the top of ${inForce.maxRiskLevel} risk ${direction} from ${proposal.previousMaxAutoScore} to ${proposal.newMaxAutoScore}: ${proposal.evidence.join('; ')}`);
    await this.folded(proposal);
  }

  /** Waits, a little, until the recalibration is folded, so the next analysis weighs only the outcomes after it. */
  private async folded(proposal: ThresholdsRecalibrated): Promise<void> {
    const deadline = Date.now() + FOLDED_WITHIN_MS;
    while (Date.now() < deadline) {
      const row = await databaseOf(this.deps).getRepository(RecalibrationRow).findOneBy({ scope: LAST_RECALIBRATION });
      if (row !== null && row.lastAt.getTime() >= Date.parse(proposal.at)) return;
      await delay(50);
    }
  }
}
