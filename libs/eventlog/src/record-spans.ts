import type { KafkaMessage } from 'kafkajs';
import { endSpan, SpanKind, startSpan, traceOf, type Span } from '@medic/observability';
import { handleIn, header } from './envelope';

/**
 * A step's spans for the records of a round, one per record handed to the
 * step: `process <topic>`, child of the record's `traceparent`, with the
 * messaging attributes of OpenTelemetry's conventions. Ended once the round's
 * outcome is known: committed, dead-lettered (failed with the reason) or failed.
 */
export class RecordSpans {
  /** By partition (`topic/partition`), then by record. */
  private readonly spans = new Map<string, Map<KafkaMessage, Span>>();

  constructor(
    private readonly step: string,
    private readonly groupId: string,
  ) {}

  /** Starts the spans of records not yet begun (a record tried again alone keeps its span). */
  begin(topic: string, partition: number, messages: readonly KafkaMessage[]): void {
    const slot = `${topic}/${partition}`;
    const spans = this.spans.get(slot) ?? new Map<KafkaMessage, Span>();
    this.spans.set(slot, spans);
    for (const message of messages) {
      if (spans.has(message)) continue;
      const span = startSpan(`process ${topic}`, {
        kind: SpanKind.CONSUMER,
        parent: header(message.headers, 'traceparent'),
        attributes: () => ({
          'messaging.system': 'kafka',
          'messaging.operation.type': 'process',
          'messaging.operation.name': 'process',
          'messaging.destination.name': topic,
          'messaging.destination.partition.id': String(partition),
          'messaging.consumer.group.name': this.groupId,
          'messaging.kafka.offset': Number(message.offset),
          'messaging.kafka.message.key': message.key?.toString('utf8') ?? '',
          'messaging.message.id': header(message.headers, 'ce_id') ?? '',
          'cloudevents.event_type': header(message.headers, 'ce_type') ?? '',
          'medic.step': this.step,
        }),
      });
      spans.set(message, span);
      // What the step decodes from the record, and appends in response, continues from this span.
      handleIn(message, traceOf(span));
    }
  }

  /**
   * Ends the spans of a partition's records: failed with `error` when given, a
   * dead-lettered record failed with its reason.
   */
  end(topic: string, partition: number, error?: unknown, deadLettered: readonly { readonly offset: string; readonly code: string; readonly reason: string }[] = []): void {
    const slot = `${topic}/${partition}`;
    const dead = new Map(deadLettered.map((d) => [d.offset, d]));
    for (const [message, span] of this.spans.get(slot) ?? []) {
      const d = dead.get(message.offset);
      endSpan(span, error ?? (d ? new DeadLettered(d.code, d.reason) : undefined), d ? () => ({ 'medic.dead_letter.code': d.code }) : undefined);
      handleIn(message, null);
    }
    this.spans.delete(slot);
  }

  /** Ends every span still open, failed with `error`. */
  fail(error: unknown): void {
    for (const slot of [...this.spans.keys()]) {
      const at = slot.lastIndexOf('/');
      this.end(slot.slice(0, at), Number(slot.slice(at + 1)), error);
    }
  }
}

class DeadLettered extends Error {
  constructor(
    readonly code: string,
    reason: string,
  ) {
    super(`dead-lettered (${code}): ${reason}`);
    this.name = 'DeadLettered';
  }
}
