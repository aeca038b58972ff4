import type { Kafka, Producer } from 'kafkajs';
import type { StreamEvents, StreamName } from '@medic/contracts';
import { chunkMessages } from './chunks';
import { toKafkaMessage, type EventEnvelope } from './envelope';
import { EOS_PRODUCER } from './kafka';

/** Which Kafka topic holds each stream of the log (typed: a stream's events only go to its topic). */
export type LogTopics = { readonly [S in StreamName]: string };

/** Appends events to the log with the idempotent producer (no duplicates on retry). */
export class EventLog {
  private readonly producer: Producer;

  constructor(
    kafka: Kafka,
    private readonly topics: LogTopics,
  ) {
    this.producer = kafka.producer(EOS_PRODUCER);
  }

  async connect(): Promise<void> {
    await this.producer.connect();
  }

  async disconnect(): Promise<void> {
    await this.producer.disconnect();
  }

  async append<S extends StreamName>(stream: S, envelopes: readonly EventEnvelope<StreamEvents[S]>[]): Promise<void> {
    if (envelopes.length === 0) return;
    for (const messages of chunkMessages(envelopes.map((e) => toKafkaMessage(stream, e)))) {
      await this.producer.send({ topic: this.topics[stream], acks: -1, messages });
    }
  }
}
