import type { Message } from 'kafkajs';
import type { KillEvent } from '@medic/domain';
import type { TraceContext } from '@medic/observability';
import { causeOf, newEnvelope, toKafkaMessage, type LoggedEvent } from './envelope';
import type { Output } from './transactional-processor';

/**
 * What a step's round appends to the kill log for one partition's batch: the
 * events (for the step's report) and their records, each keyed by its kill
 * and continuing the trace of the record that caused it.
 */
export class KillAppends<E extends KillEvent = KillEvent> {
  private records: Message[] = [];
  private added: E[] = [];

  constructor(
    /** The CloudEvents source of the step's events. */
    private readonly source: string,
    private readonly topic: string,
  ) {}

  /**
   * `time` is the record's time when it is not the event's own. `before` is
   * given the trace the record will carry before it is added; if it throws,
   * nothing is added (a step that folds what it appends folds it there).
   */
  add(event: E, cause: LoggedEvent<unknown>, time: string = event.at, before?: (trace: TraceContext) => void): void {
    const envelope = newEnvelope('kill', event, { source: this.source, subject: event.killId, time, cause: causeOf(cause) });
    before?.(envelope.trace);
    this.added.push(event);
    this.records.push(toKafkaMessage('kill', envelope));
  }

  /** What the batch appended so far. */
  get events(): readonly E[] {
    return this.added;
  }

  /** Starts the next batch. */
  reset(): void {
    this.records = [];
    this.added = [];
  }

  /** The batch's records, as the step's output to the kill log. */
  output(): Output {
    return { topic: this.topic, messages: this.records };
  }
}
