import type { MedicConfig } from '@medic/config';
import { readDeadLetter, type DeadLetterInfo, type Projection, type ProjectionDefinition, type RawRecords, type ReadRecords } from '@medic/eventlog';
import { DeadLetterView } from './dead-letter.entity';

interface DeadLetterRecord {
  readonly id: string;
  readonly offset: string;
  readonly info: DeadLetterInfo;
  readonly timestamp: string;
}

/** A dead-letter topic the gateway shows, and the step that writes to it when a record does not say. */
export interface DeadLetterTopic {
  /** The rows' `dlq`: which of the shared table's rows are this projection's, and the prefix of their ids. */
  readonly dlq: string;
  /** The projection's name (its positions and version go by it). */
  readonly name: string;
  readonly version: number;
  /** The step a record there is read as coming from when it names none. */
  readonly writtenBy: string;
  topic(config: MedicConfig): string;
}

/**
 * Every dead-letter topic, for /health and /status: Medic's own steps', and
 * those of the two things Smith sends (kill reports the listener could not
 * take in, veto answers the negotiator could not match). Each is a kill or an
 * answer Medic did not act on, which an operator should see.
 */
export const DEAD_LETTER_TOPICS: readonly DeadLetterTopic[] = [
  // Version 2: rows say which topic they came from, and their ids name it.
  { dlq: 'internal', name: 'gateway.dead_letters', version: 2, writtenBy: 'unknown', topic: (c) => c.kafka.topics.internal_dlq },
  { dlq: 'kill_reports', name: 'gateway.kill_report_dead_letters', version: 1, writtenBy: 'listener', topic: (c) => c.smith.event_bus.dlq_topic },
  { dlq: 'veto_answers', name: 'gateway.veto_answer_dead_letters', version: 1, writtenBy: 'negotiator-answers', topic: (c) => c.smith.veto_protocol.dlq_topic },
];

/**
 * What has gone to one dead-letter topic, by step. A record there without
 * the dead-letter headers is shown as coming from the step that writes there
 * (from an unknown step on medic.dlq.internal) rather than dropped: whatever
 * wrote it, an operator should see it.
 */
export function deadLettersProjection(of: DeadLetterTopic): Projection<DeadLetterRecord, DeadLetterView> {
  return {
    name: of.name,
    version: of.version,
    entity: DeadLetterView,
    owns: { dlq: of.dlq },
    read: (records) => readDeadLetters(records, of),
    keyOf: (r) => r.id,
    evolve: (row, r) =>
      row ??
      Object.assign(new DeadLetterView(), {
        id: r.id,
        dlq: of.dlq,
        step: r.info.step,
        code: r.info.code,
        reason: r.info.reason,
        sourceTopic: r.info.sourceTopic,
        sourcePartition: Number.isInteger(r.info.sourcePartition) ? r.info.sourcePartition : -1,
        sourceOffset: r.info.sourceOffset,
        failedAt: failedAt(r),
      }),
  };
}

export const DEAD_LETTER_PROJECTIONS: readonly ProjectionDefinition[] = DEAD_LETTER_TOPICS.map((of) => ({ projection: deadLettersProjection(of), topic: (config: MedicConfig) => of.topic(config) }));

function readDeadLetters(records: RawRecords, of: DeadLetterTopic): ReadRecords<DeadLetterRecord> {
  return {
    events: records.messages.map((m) => ({
      id: `${of.dlq}:${records.partition}:${m.offset}`,
      offset: m.offset,
      timestamp: m.timestamp,
      info: readDeadLetter(m.headers, of.writtenBy) ?? { step: of.writtenBy, code: 'unknown', reason: 'a record without dead-letter headers', sourceTopic: '', sourcePartition: -1, sourceOffset: '', failedAt: '', rolledBack: null },
    })),
    rejected: [],
  };
}

function failedAt(r: DeadLetterRecord): Date {
  const stated = Date.parse(r.info.failedAt);
  if (!Number.isNaN(stated)) return new Date(stated);
  const appended = Number(r.timestamp);
  return new Date(Number.isFinite(appended) ? appended : 0);
}
