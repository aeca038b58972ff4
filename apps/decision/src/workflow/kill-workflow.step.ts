import { randomUUID } from 'node:crypto';
import type { Message } from 'kafkajs';
import type { EntityManager } from 'typeorm';
import {
  answerCommand,
  decide,
  DomainError,
  type DecisionMade,
  type KillEvent,
  type KillReported,
  type LoggedKillCommand,
  type PolicySettings,
  type RiskSettings,
} from '@medic/domain';
import { causeOf, decodeRecords, newEnvelope, toKafkaMessage, type LoggedEvent, type ProcessorBatch, type RejectedRecord, type StepResult } from '@medic/eventlog';
import { WorkflowState } from './workflow-state';

export interface WorkflowSettings {
  /** The CloudEvents source of what the workflow appends; records from it on the kill log are its own. */
  readonly source: string;
  readonly killEventsTopic: string;
  readonly commandsTopic: string;
  readonly policy: PolicySettings;
  readonly risk: RiskSettings;
  /** How far back a module's kills count as its history. */
  readonly historyDays: number;
}

/** What a round did, for logs and metrics once it is committed. */
export interface WorkflowReport {
  readonly decisions: readonly { readonly event: DecisionMade; readonly cause: LoggedEvent<KillEvent> }[];
  readonly answers: readonly { readonly command: LoggedKillCommand; readonly events: readonly KillEvent[]; readonly cause: LoggedEvent<LoggedKillCommand> }[];
  readonly duplicates: readonly string[];
}

type Input = { readonly kind: 'event'; readonly logged: LoggedEvent<KillEvent> } | { readonly kind: 'command'; readonly logged: LoggedEvent<LoggedKillCommand> };

/**
 * The kill workflow, the single writer of every kill's transitions. For each
 * record of a round, in log order: a kill reported by the listener is folded
 * in and decided; a command is answered by the decider from the kill's state
 * (its events, or CommandRejected); any other event from elsewhere is folded
 * in. Whatever the workflow appends is folded into the state in the same
 * round, so the state and the log never disagree. A record that cannot be
 * read, or an event the kill's state does not allow, is rejected (the kit
 * dead-letters it) and the partition flows on.
 */
export async function runWorkflow(batches: readonly ProcessorBatch[], tx: EntityManager, settings: WorkflowSettings, now: () => Date): Promise<StepResult<WorkflowReport>[]> {
  const at = now();
  const decoded = batches.map((batch) => decodeBatch(batch, settings));
  const inputs = decoded.flatMap((d) => d.inputs);
  const modules = inputs.flatMap((i) => (i.kind === 'event' && i.logged.data.type === 'KillReported' ? [i.logged.data.report.targetModule] : []));
  const state = await WorkflowState.load(
    tx,
    inputs.map((i) => i.logged.data.killId),
    modules,
    at,
    settings.historyDays,
  );
  const results = decoded.map(({ batch, inputs: batchInputs, rejected }) => {
    const messages: Message[] = [];
    const report = { decisions: [] as WorkflowReport['decisions'][number][], answers: [] as WorkflowReport['answers'][number][], duplicates: [] as string[] };
    const append = (events: readonly KillEvent[], cause: LoggedEvent<unknown>) => {
      for (const event of events) {
        state.apply(event, batch.partition);
        messages.push(toKafkaMessage('kill', newEnvelope('kill', event, { source: settings.source, subject: event.killId, time: at.toISOString(), cause: causeOf(cause) })));
      }
    };
    for (const input of batchInputs) {
      try {
        if (input.kind === 'command') {
          const events = answerCommand(input.logged.data, state.get(input.logged.data.killId));
          append(events, input.logged);
          report.answers.push({ command: input.logged.data, events, cause: input.logged });
        } else if (input.logged.data.type === 'KillReported') {
          const made = reportAndDecide(input.logged as LoggedEvent<KillReported>, state, settings, at, batch.partition);
          if (made === null) {
            report.duplicates.push(input.logged.data.killId);
            continue;
          }
          append(made, input.logged);
          const decision = made.find((e): e is DecisionMade => e.type === 'DecisionMade');
          if (decision) report.decisions.push({ event: decision, cause: input.logged });
        } else {
          state.apply(input.logged.data, batch.partition);
        }
      } catch (error) {
        if (!(error instanceof DomainError)) throw error;
        rejected.push({ offset: input.logged.offset, code: error.code, reason: error.message });
      }
    }
    return { outputs: [{ topic: settings.killEventsTopic, messages }], report, rejected };
  });
  await state.save(tx);
  return results;
}

/** Folds a new kill in and decides it; null when the kill was already reported. */
function reportAndDecide(logged: LoggedEvent<KillReported>, state: WorkflowState, settings: WorkflowSettings, at: Date, partition: number): KillEvent[] | null {
  const reported = logged.data;
  if (state.get(reported.killId) !== null) return null;
  // The module's history before this kill.
  const history = state.historyOf(reported.report.targetModule);
  state.apply(reported, partition);
  return decide(
    {
      type: 'DecideResurrection',
      killId: reported.killId,
      at: at.toISOString(),
      decisionId: randomUUID(),
      queueItemId: randomUUID(),
      siem: null,
      siemStatus: 'not_configured',
      history,
      autoResurrectionsLastHour: state.autoResurrectionsLastHour(),
      policy: settings.policy,
      risk: settings.risk,
    },
    state.get(reported.killId),
  );
}

function decodeBatch(batch: ProcessorBatch, settings: WorkflowSettings): { batch: ProcessorBatch; inputs: Input[]; rejected: RejectedRecord[] } {
  if (batch.topic === settings.commandsTopic) {
    const { events, rejected } = decodeRecords('command', batch);
    return { batch, inputs: events.map((logged) => ({ kind: 'command', logged })), rejected };
  }
  const { events, rejected } = decodeRecords('kill', batch);
  return { batch, inputs: events.map((logged) => ({ kind: 'event', logged })), rejected };
}
