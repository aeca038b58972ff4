import type { Message } from 'kafkajs';
import type { KillEvent } from '@medic/domain';
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

  /** `time` is the record's time when it is not the event's own. */
  add(event: E, cause: LoggedEvent<unknown>, time: string = event.at): void {
    this.added.push(event);
    this.records.push(toKafkaMessage('kill', newEnvelope('kill', event, { source: this.source, subject: event.killId, time, cause: causeOf(cause) })));
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
