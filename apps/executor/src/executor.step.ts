import type { Message } from 'kafkajs';
import type { EntityManager } from 'typeorm';
import type { KillEvent } from '@medic/domain';
import { causeOf, decodeRecords, dispatchEach, newEnvelope, toKafkaMessage, type LogDispatch, type LoggedEvent, type ProcessorBatch, type RejectedRecord, type StepResult } from '@medic/eventlog';
import type { ContainerEngine } from '@medic/containers';
import { KillModule } from './executor.schema';

export interface ExecutorSettings {
  readonly source: string;
  readonly killEventsTopic: string;
}

export type ExecutorReport = readonly KillEvent[];

/** What the executor's handlers are given: the engine, and where to append. */
export class ExecutorRound {
  private messages: Message[] = [];
  private appended: KillEvent[] = [];
  private readonly modules = new Map<string, string>();

  constructor(
    readonly engine: ContainerEngine,
    readonly settings: ExecutorSettings,
    readonly now: () => Date,
    readonly tx: EntityManager,
  ) {}

  /** Remembers the module of a decided kill (saved with the round). */
  remember(killId: string, module: string): void {
    this.modules.set(killId, module);
  }

  async moduleOf(killId: string): Promise<string | null> {
    return this.modules.get(killId) ?? (await this.tx.findOneBy(KillModule, { killId }))?.targetModule ?? null;
  }

  async save(): Promise<void> {
    if (this.modules.size === 0) return;
    await this.tx.upsert(KillModule, [...this.modules].map(([killId, targetModule]) => ({ killId, targetModule })), ['killId']);
  }

  append(event: KillEvent, cause: LoggedEvent<unknown>): void {
    this.appended.push(event);
    this.messages.push(toKafkaMessage('kill', newEnvelope('kill', event, { source: this.settings.source, subject: event.killId, time: event.at, cause: causeOf(cause) })));
  }

  begin(): void {
    this.messages = [];
    this.appended = [];
  }

  finish(rejected: RejectedRecord[]): StepResult<ExecutorReport> {
    return { outputs: [{ topic: this.settings.killEventsTopic, messages: this.messages }], report: this.appended, rejected };
  }
}

/** The kill events the executor acts on, in log order, each to its handler. */
export async function runExecutor(
  batches: readonly ProcessorBatch[],
  tx: EntityManager,
  engine: ContainerEngine,
  settings: ExecutorSettings,
  dispatch: LogDispatch,
  wanted: (type: string) => boolean,
): Promise<StepResult<ExecutorReport>[]> {
  const round = new ExecutorRound(engine, settings, () => new Date(), tx);
  const results: StepResult<ExecutorReport>[] = [];
  for (const batch of batches) {
    const { events, rejected } = decodeRecords('kill', batch, wanted);
    round.begin();
    results.push(round.finish([...rejected, ...(await dispatchEach(events, round, dispatch, 'the executor'))]));
  }
  await round.save();
  return results;
}
