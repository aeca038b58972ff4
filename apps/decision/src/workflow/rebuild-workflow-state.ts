import type { Kafka } from 'kafkajs';
import type { DataSource, EntityManager } from 'typeorm';
import { DomainError, thresholdsSetBy, type ControlEvent, type KillEvent } from '@medic/domain';
import { foldStepHistory, rebuildState, type LoggedEvent, type RebuildResult } from '@medic/eventlog';
import { foldedByWorkflow, WORKFLOW_CONTROL_TYPES } from './kill-workflow.step';
import { WorkflowState } from './workflow-state';

export interface WorkflowRebuild {
  readonly kafka: Kafka;
  readonly dataSource: DataSource;
  readonly killEventsTopic: string;
  /** Where module releases come from. */
  readonly controlTopic: string;
  /** Where the workflow dead-letters (medic.dlq.internal): what it dead-lettered, the rebuild leaves out too. */
  readonly deadLetterTopic: string;
}

export const WORKFLOW_STATE_NAME = 'decision.workflow';
/** The workflow's step name (its positions, dead letters and metrics) and the source of what it appends. */
export const WORKFLOW_STEP = 'decision';
export const WORKFLOW_SOURCE = 'medic/decision';

/**
 * Drops the decision service's state (kills, module days, re-kills and
 * releases, timers) and folds it again from offset 0 of the kill and control
 * logs, in one transaction. It folds what the live workflow has folded: the
 * events from elsewhere up to the workflow's position in each partition
 * (later ones are still to be decided by it), everything the workflow
 * appended, and what its unfinished Kafka transactions are about to append.
 * What the workflow dead-lettered is left out as it was live; a record that
 * fails to fold and that the workflow did not dead-letter ends the rebuild
 * (RebuildFailed) and leaves the live state as it was. Truncating first makes
 * a running workflow wait for the rebuild, then carry on from the rebuilt state.
 */
export function rebuildWorkflowState(args: WorkflowRebuild): Promise<RebuildResult> {
  return rebuildState(WORKFLOW_STATE_NAME, args.dataSource, ['kill_state', 'module_daily', 'kill_timers', 'module_rekills', 'module_releases', 'decision_thresholds'], async (tx) => {
    const kills = await foldStepHistory({
      kafka: args.kafka,
      tx,
      name: WORKFLOW_STATE_NAME,
      deadLetterTopic: args.deadLetterTopic,
      stream: 'kill',
      topic: args.killEventsTopic,
      step: WORKFLOW_STEP,
      ownSources: [WORKFLOW_SOURCE],
      pendingOf: [WORKFLOW_STEP],
      wanted: foldedByWorkflow,
      fold: (events, refuse) => fold(tx, events, refuse),
    });
    const wanted = new Set<string>(WORKFLOW_CONTROL_TYPES);
    const control = await foldStepHistory({
      kafka: args.kafka,
      tx,
      name: WORKFLOW_STATE_NAME,
      deadLetterTopic: args.deadLetterTopic,
      stream: 'control',
      topic: args.controlTopic,
      step: WORKFLOW_STEP,
      ownSources: [],
      pendingOf: [],
      wanted: (type) => wanted.has(type),
      fold: (events) => foldControl(tx, events.map((e) => e.data)),
    });
    return { applied: kills.applied + control.applied, rejected: kills.rejected + control.rejected, skipped: [...kills.skipped, ...control.skipped] };
  });
}

async function fold(tx: EntityManager, events: readonly LoggedEvent<KillEvent>[], refuse: (event: LoggedEvent<KillEvent>, error: unknown) => void): Promise<number> {
  if (events.length === 0) return 0;
  const state = await WorkflowState.load(
    tx,
    events.map((e) => e.data.killId),
    [],
    new Date(),
    0,
  );
  let applied = 0;
  for (const e of events) {
    try {
      state.apply(e.data, e.partition, e.trace);
      applied += 1;
    } catch (error) {
      // A transition the state does not allow changes nothing: the rebuild goes on if the live workflow dead-lettered it too.
      if (!(error instanceof DomainError)) throw error;
      refuse(e, error);
    }
  }
  await state.save(tx);
  return applied;
}

/** Module releases, threshold updates and recalibrations, as the live workflow folds them. */
async function foldControl(tx: EntityManager, events: readonly ControlEvent[]): Promise<number> {
  const state = WorkflowState.empty();
  let applied = 0;
  for (const e of events) {
    const set = thresholdsSetBy(e);
    if (e.type === 'ModuleReleased') state.release(e);
    else if (set !== null) state.thresholdsUpdated(set);
    else continue;
    applied += 1;
  }
  if (applied > 0) await state.save(tx);
  return applied;
}
