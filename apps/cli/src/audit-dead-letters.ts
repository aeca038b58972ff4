import type { KafkaMessage } from 'kafkajs';
import { printable } from '@medic/domain';
import { header, readDeadLetter, type DeadLetterInfo } from '@medic/eventlog';

/** A dead-lettered record about one kill: a report of it the listener refused, or one of its records a step could not handle. */
export interface KillDeadLetter {
  /** Where it is kept, with its original bytes. */
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
  readonly info: DeadLetterInfo;
  /** When it was appended there (the record's timestamp), for a dead letter that does not say when it failed. */
  readonly appendedAt: string;
}

// A report is at most smith.event_bus.max_message_bytes (64 KiB by default); larger dead letters are not read as JSON.
const MAX_REPORT_BYTES = 1024 * 1024;

/**
 * Whether a dead-lettered record is about the kill: its CloudEvents subject or
 * its key names it (Medic's own records, a report keyed by Smith), or it is a
 * kill report whose payload names it.
 */
export function isAboutKill(m: Pick<KafkaMessage, 'headers' | 'key' | 'value'>, killId: string): boolean {
  if (header(m.headers, 'ce_subject') === killId) return true;
  if (m.key !== null && m.key.toString('utf8') === killId) return true;
  return reportedKillId(m.value) === killId;
}

function reportedKillId(value: Buffer | null): string | null {
  if (value === null || value.length > MAX_REPORT_BYTES) return null;
  try {
    const doc = JSON.parse(value.toString('utf8')) as unknown;
    const payload = typeof doc === 'object' && doc !== null ? (doc as Record<string, unknown>)['payload'] : undefined;
    const killId = typeof payload === 'object' && payload !== null ? (payload as Record<string, unknown>)['kill_id'] : undefined;
    return typeof killId === 'string' ? killId : null;
  } catch {
    return null;
  }
}

/** The dead letter of a record read from a dead-letter topic written by `writtenBy` (when the record does not name its step). */
export function killDeadLetter(topic: string, partition: number, m: Pick<KafkaMessage, 'headers' | 'offset' | 'timestamp'>, writtenBy: string): KillDeadLetter {
  const appended = Number(m.timestamp);
  return {
    topic,
    partition,
    offset: m.offset,
    appendedAt: Number.isFinite(appended) ? new Date(appended).toISOString() : '',
    info: readDeadLetter(m.headers, writtenBy) ?? { step: writtenBy, code: 'unknown', reason: 'a record without dead-letter headers', sourceTopic: '', sourcePartition: -1, sourceOffset: '', failedAt: '', rolledBack: null },
  };
}

/** One line per dead letter, for the audit: when, which step, why, where it came from and where it is kept. */
export function formatKillDeadLetters(killId: string, letters: readonly KillDeadLetter[], eventsFound: boolean): string {
  const intro = eventsFound
    ? `Dead-lettered records about kill ${killId} (${letters.length}; not acted on):`
    : `No event of kill ${killId} is on the log: Medic did not take it in. Dead-lettered records about it (${letters.length}; not acted on):`;
  const lines = [intro];
  for (const d of letters) {
    const from = d.info.sourceTopic ? `from ${d.info.sourceTopic}/${d.info.sourcePartition}@${d.info.sourceOffset}, ` : '';
    lines.push(`${d.info.failedAt || d.appendedAt}  ${d.info.step}: ${d.info.code}: ${d.info.reason}  [${from}kept at ${d.topic}/${d.partition}@${d.offset}]`);
  }
  return lines.map(printable).join('\n');
}
