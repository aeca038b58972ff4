import type { Kafka } from 'kafkajs';
import type { DataSource, EntityManager } from 'typeorm';
import type { KillEvent, VetoEvent } from '@medic/domain';
import { causeOf, rebuildStepState, type LoggedEvent, type RebuildResult } from '@medic/eventlog';
import { ANSWERS_STEP } from './answers.step';
import { NEGOTIATOR_READS } from './negotiator.handlers';
import { NEGOTIATION_STEP, NEGOTIATOR_SOURCE, VetoKills } from './veto-kills';

export const NEGOTIATOR_STATE_NAME = 'negotiator.veto';

/** What the negotiator appends about a kill's exchange with Smith. */
const VETO_EVENTS = new Set<string>(['VetoRequested', 'VetoDeferred', 'VetoCleared', 'ResurrectionVetoed'] satisfies readonly VetoEvent['type'][]);
const FOLDED = new Set<string>([...NEGOTIATOR_READS, ...VETO_EVENTS]);

const isVetoEvent = (e: KillEvent): e is VetoEvent => VETO_EVENTS.has(e.type);

/**
 * Drops the negotiator's state (each kill's facts and veto exchange, the
 * notices by their ids) and folds it again from the kill log in one
 * transaction: the reports, assessments and decisions its step has read, and
 * every veto event it appended (from its step, Smith's answers or its
 * timers, including those committed rounds have yet to append). A notice
 * is not sent again: one not yet sent when the rebuild runs is settled by
 * Smith's deadline, with the configured default.
 */
export function rebuildNegotiatorState(args: { readonly kafka: Kafka; readonly dataSource: DataSource; readonly killEventsTopic: string; readonly deadLetterTopic: string }): Promise<RebuildResult> {
  return rebuildStepState({
    name: NEGOTIATOR_STATE_NAME,
    kafka: args.kafka,
    dataSource: args.dataSource,
    tables: ['veto_kills', 'veto_asks'],
    stream: 'kill',
    topic: args.killEventsTopic,
    deadLetterTopic: args.deadLetterTopic,
    step: NEGOTIATION_STEP,
    ownSources: [NEGOTIATOR_SOURCE],
    pendingOf: [NEGOTIATION_STEP, ANSWERS_STEP],
    wanted: (type) => FOLDED.has(type),
    fold,
  });
}

async function fold(tx: EntityManager, events: readonly LoggedEvent<KillEvent>[]): Promise<number> {
  if (events.length === 0) return 0;
  const kills = await VetoKills.load(
    tx,
    events.map((e) => e.data.killId),
  );
  let applied = 0;
  for (const logged of events) {
    const e = logged.data;
    if (e.type === 'KillReported' || e.type === 'RiskAssessed' || e.type === 'DecisionMade') {
      kills.learn(e);
    } else if (e.type === 'ApprovalRequested') {
      kills.reopen(e);
    } else if (isVetoEvent(e) && logged.source === NEGOTIATOR_SOURCE) {
      kills.apply(e);
      // What follows a notice continues its trace, as the live step keeps it.
      if (e.type === 'VetoRequested') kills.edit(e.killId).cause = causeOf(logged);
    } else {
      continue;
    }
    applied += 1;
  }
  await kills.save(tx);
  return applied;
}
