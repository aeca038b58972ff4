import type { KillEvent } from '@medic/domain';
import { readStream, type LoggedEvent, type StreamProjection } from '@medic/eventlog';
import { OutcomeView } from './outcome-view.entity';

/** Every outcome recorded, one row each. The kill's module and risk come from the kills view when read. */
export const outcomesProjection: StreamProjection<'kill', OutcomeView> = {
  name: 'gateway.outcomes',
  entity: OutcomeView,
  read: readStream('kill', ['OutcomeRecorded']),
  keyOf: (e) => (e.data.type === 'OutcomeRecorded' ? e.data.outcomeId : ''),
  evolve: evolveOutcome,
};

export function evolveOutcome(row: OutcomeView | null, logged: LoggedEvent<KillEvent>): OutcomeView | null {
  const e = logged.data;
  // The first record of an outcome id stands; a record read again changes nothing.
  if (e.type !== 'OutcomeRecorded' || row !== null) return row;
  return Object.assign(new OutcomeView(), {
    outcomeId: e.outcomeId,
    killId: e.killId,
    requestId: e.requestId,
    decisionId: e.decisionId,
    result: e.result,
    recordedAt: new Date(e.at),
    timeToStableSeconds: e.timeToStableSeconds,
    metrics: e.metrics,
    smithFeedback: e.smithFeedback,
    humanFeedback: e.humanFeedback,
    lessonsLearned: [...e.lessonsLearned],
    shouldAdjustThreshold: e.shouldAdjustThreshold,
  });
}
