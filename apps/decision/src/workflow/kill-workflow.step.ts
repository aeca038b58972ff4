import type { EntityManager } from 'typeorm';
import { type ControlEvent, type DecisionMade, type KillEvent, type LoggedKillCommand, type PolicySettings, type RiskSettings } from '@medic/domain';
import { decodeRecords, dispatchEach, KillAppends, type LogDispatch, type LoggedEvent, type ProcessorBatch, type RejectedRecord, type StepResult } from '@medic/eventlog';
import { WorkflowState } from './workflow-state';

export interface WorkflowSettings {
  /** The CloudEvents source of what the workflow appends; records from it on the kill log are its own. */
  readonly source: string;
  readonly killEventsTopic: string;
  readonly commandsTopic: string;
  /** Where module releases come from (medic.control.events). */
  readonly controlTopic: string;
  readonly policy: PolicySettings;
  readonly risk: RiskSettings;
  /**
   * With a SIEM, a kill is decided once its context is in, or without it after
   * `waitMs` (null: no SIEM here). A report taken in with a SIEM carries its
   * deadline already, and waits for it wherever it is decided.
   */
  readonly siem: { readonly waitMs: number | null };
  /** How far back a module's kills count as its history. */
  readonly historyDays: number;
  /** resurrection.quarantine_after_rekills */
  readonly quarantineAfterReKills: number;
}

/** What a round did, for logs and metrics once it is committed. */
export interface WorkflowReport {
  readonly decisions: readonly { readonly event: DecisionMade; readonly cause: LoggedEvent<KillEvent> }[];
  readonly answers: readonly { readonly command: LoggedKillCommand; readonly events: readonly KillEvent[]; readonly cause: LoggedEvent<LoggedKillCommand> }[];
  readonly duplicates: readonly string[];
}

type Input = LoggedEvent<KillEvent> | LoggedEvent<LoggedKillCommand> | LoggedEvent<ControlEvent>;

/** The control events the workflow folds in; the rest of the control log is not its business. */
export const WORKFLOW_CONTROL_TYPES = ['ModuleReleased', 'ThresholdsUpdated', 'ThresholdsRecalibrated'] as const;

/** Kill events that change no kill's state (what each health check saw): the workflow passes them by undecoded. */
const PASSED_BY = new Set<string>(['HealthChecked']);
export const foldedByWorkflow = (type: string): boolean => !PASSED_BY.has(type);

/**
 * What the kill workflow's handlers are given for each record of a round:
 * the round's folded state, and where to put what they append. Whatever a
 * handler appends is folded into the state at once, so the state and the
 * log never disagree.
 */
export class WorkflowRound {
  private readonly appends: KillAppends;
  private report = emptyReport();
  private current = 0;

  constructor(
    readonly state: WorkflowState,
    readonly settings: WorkflowSettings,
    readonly at: Date,
  ) {
    this.appends = new KillAppends(settings.source, settings.killEventsTopic);
  }

  /** The kill-events partition of the record being handled. */
  get partition(): number {
    return this.current;
  }

  append(events: readonly KillEvent[], cause: LoggedEvent<unknown>): void {
    // Folded as it is appended (with the trace its record carries), and not appended if it cannot be folded.
    for (const event of events) this.appends.add(event, cause, this.at.toISOString(), (trace) => this.state.apply(event, this.current, trace));
  }

  decided(event: DecisionMade, cause: LoggedEvent<KillEvent>): void {
    this.report.decisions.push({ event, cause });
  }

  answered(command: LoggedEvent<LoggedKillCommand>, events: readonly KillEvent[]): void {
    this.report.answers.push({ command: command.data, events, cause: command });
  }

  repeated(killId: string): void {
    this.report.duplicates.push(killId);
  }

  /** Starts a partition's batch; `finish` returns what it made. */
  begin(partition: number): void {
    this.current = partition;
    this.appends.reset();
    this.report = emptyReport();
  }

  finish(rejected: RejectedRecord[]): StepResult<WorkflowReport> {
    return { outputs: [this.appends.output()], report: this.report, rejected };
  }
}

function emptyReport(): { decisions: WorkflowReport['decisions'][number][]; answers: WorkflowReport['answers'][number][]; duplicates: string[] } {
  return { decisions: [], answers: [], duplicates: [] };
}

/**
 * The kill workflow, the single writer of every kill's transitions. The
 * round's kills and module history are loaded once; then each record, in log
 * order, goes to the handler declared for its type (see KillWorkflowHandlers):
 * a reported kill is decided, a command answered, any other event folded in.
 * A record that cannot be read, or that the kill's state does not allow, is
 * rejected (the kit dead-letters it) and the partition flows on.
 */
export async function runWorkflow(
  batches: readonly ProcessorBatch[],
  tx: EntityManager,
  settings: WorkflowSettings,
  now: () => Date,
  dispatch: LogDispatch,
): Promise<StepResult<WorkflowReport>[]> {
  const at = now();
  const decoded = batches.map((batch) => decodeBatch(batch, settings));
  const inputs = decoded.flatMap((d) => d.inputs);
  const modules = inputs.flatMap((i) => (i.data.type === 'KillReported' ? [i.data.report.targetModule] : []));
  const state = await WorkflowState.load(
    tx,
    inputs.flatMap((i) => ('killId' in i.data ? [i.data.killId] : [])),
    modules,
    at,
    settings.historyDays,
    settings.policy.constraints.killBurst,
  );
  const round = new WorkflowRound(state, settings, at);
  const results: StepResult<WorkflowReport>[] = [];
  for (const { batch, inputs: batchInputs, rejected } of decoded) {
    round.begin(batch.partition);
    rejected.push(...(await dispatchEach(batchInputs, round, dispatch, 'the kill workflow')));
    results.push(round.finish(rejected));
  }
  await state.save(tx);
  return results;
}

function decodeBatch(batch: ProcessorBatch, settings: WorkflowSettings): { batch: ProcessorBatch; inputs: Input[]; rejected: RejectedRecord[] } {
  const wanted = new Set<string>(WORKFLOW_CONTROL_TYPES);
  const { events, rejected } =
    batch.topic === settings.commandsTopic
      ? decodeRecords('command', batch)
      : batch.topic === settings.controlTopic
        ? decodeRecords('control', batch, (type) => wanted.has(type))
        : decodeRecords('kill', batch, foldedByWorkflow);
  return { batch, inputs: events, rejected };
}
