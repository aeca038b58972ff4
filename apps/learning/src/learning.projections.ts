import { readStream, type LoggedEvent, type ProjectionDefinition, type StreamProjection } from '@medic/eventlog';
import type { ControlEvent, KillEvent } from '@medic/domain';
import { decisionThresholdsProjection } from '@medic/standing';
import { AutoOutcomeRow, RecalibrationRow } from './learning.schema';

/** The actor of the learning service's events. */
export const LEARNING_ACTOR = 'learning';
/** The one row of learning.recalibrations. */
export const LAST_RECALIBRATION = 'last';

/** Auto-approved kills (not observe-only) and the outcome of their resurrection: what calibration weighs. */
export const AUTO_OUTCOMES: StreamProjection<'kill', AutoOutcomeRow> = {
  name: 'learning.auto_outcomes',
  entity: AutoOutcomeRow,
  read: readStream('kill', ['DecisionMade', 'OutcomeRecorded']),
  keyOf: (e) => e.data.killId,
  evolve: (row, { data: e }: LoggedEvent<KillEvent>) => {
    if (e.type === 'DecisionMade') {
      if (row !== null || e.decision.outcome !== 'approve_auto' || e.decision.observeOnly) return row;
      return Object.assign(new AutoOutcomeRow(), { killId: e.killId, approvedAt: new Date(e.at), result: null, resultAt: null });
    }
    if (e.type === 'OutcomeRecorded' && row !== null) return Object.assign(new AutoOutcomeRow(), row, { result: e.result, resultAt: new Date(e.at) });
    return row;
  },
};

/** The time of the last recalibration: the outcomes after it are the evidence for the next. */
export const RECALIBRATIONS: StreamProjection<'control', RecalibrationRow> = {
  name: 'learning.recalibrations',
  entity: RecalibrationRow,
  read: readStream('control', ['ThresholdsRecalibrated']),
  keyOf: () => LAST_RECALIBRATION,
  evolve: (row, { data: e }: LoggedEvent<ControlEvent>) => {
    if (e.type !== 'ThresholdsRecalibrated') return row;
    const at = new Date(e.at);
    return row !== null && row.lastAt >= at ? row : Object.assign(new RecalibrationRow(), { scope: LAST_RECALIBRATION, lastAt: at });
  },
};

/** The learning service's projection runners go by this name (in their dead letters, logs and metrics). */
export const LEARNING_STEP = 'learning';

export const LEARNING_PROJECTIONS: readonly ProjectionDefinition[] = [
  { projection: AUTO_OUTCOMES, topic: (c) => c.kafka.topics.kill_events },
  { projection: RECALIBRATIONS, topic: (c) => c.kafka.topics.control_events },
  { projection: decisionThresholdsProjection('learning'), topic: (c) => c.kafka.topics.control_events },
];
