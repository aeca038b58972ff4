import { randomUUID } from 'node:crypto';
import type { KafkaMessage } from 'kafkajs';
import { Client } from 'pg';
import { decodeEvent } from '@medic/contracts';
import type { KillEvent, KillEventOf } from '@medic/domain';
import { eventually, type MedicUnderTest } from './medic-harness';

/** Every committed record of a topic, read from the start until `until` says enough. */
export async function readTopic(medic: MedicUnderTest, topic: string, until: (all: KafkaMessage[]) => boolean, what: string, timeoutMs = 30_000): Promise<KafkaMessage[]> {
  const consumer = medic.kafka.consumer({ groupId: `${medic.id}-reader-${randomUUID()}`, maxWaitTimeInMs: 100 });
  const seen: KafkaMessage[] = [];
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    eachMessage: ({ message }) => {
      seen.push(message);
      return Promise.resolve();
    },
  });
  try {
    await eventually(() => Promise.resolve(until(seen) ? true : undefined), what, timeoutMs);
    return seen;
  } finally {
    await consumer.disconnect();
  }
}

export const ceTypeOf = (m: KafkaMessage): string => m.headers?.ce_type?.toString() ?? '';
const subjectOf = (m: KafkaMessage) => m.headers?.ce_subject?.toString() ?? '';

/** One kill's events on the kill log, once `until` holds for them. */
export async function killEventsOf(medic: MedicUnderTest, killId: string, until: (events: KillEvent[]) => boolean, what: string, timeoutMs?: number): Promise<KillEvent[]> {
  const decoded = (all: KafkaMessage[]) => all.filter((m) => subjectOf(m) === killId).map((m) => decodeEvent('kill', ceTypeOf(m), m.value!));
  return decoded(await readTopic(medic, medic.topics.kill, (records) => until(decoded(records)), what, timeoutMs));
}

/** A kill's events of one type, in log order. */
export function eventsOfType<T extends KillEvent['type']>(events: readonly KillEvent[], type: T): KillEventOf<T>[] {
  return events.filter((e): e is KillEventOf<T> => e.type === type);
}

/** A kill's first event of one type; throws, naming the events there are, when it has none. */
export function firstOfType<T extends KillEvent['type']>(events: readonly KillEvent[], type: T): KillEventOf<T> {
  const found = eventsOfType(events, type)[0];
  if (!found) throw new Error(`no ${type} in ${events.map((e) => e.type).join(', ')}`);
  return found;
}

/** The rows of some tables of a Medic database, for comparing a live state with a rebuilt one. */
export async function snapshotTables(databaseUrl: string, queries: Record<string, string>): Promise<Record<string, unknown[]>> {
  const client = new Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const out: Record<string, unknown[]> = {};
    for (const [name, sql] of Object.entries(queries)) out[name] = (await client.query(sql)).rows as unknown[];
    return out;
  } finally {
    await client.end();
  }
}
