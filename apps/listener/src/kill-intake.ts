import { createHash } from 'node:crypto';
import type { IHeaders, KafkaMessage, Message } from 'kafkajs';
import type { EntityManager } from 'typeorm';
import { parseSmithKillMessage, type KillReportLimits, type SmithKillMessage, type ValidationFailure } from '@medic/domain';
import { header, newEnvelope, toKafkaMessage, type Output, type ProcessorBatch } from '@medic/eventlog';
import { parseTraceparent, nextSpan } from '@medic/observability';
import type { ReportedKillRow } from './listener.schema';

export interface IntakeSettings {
  readonly source: string;
  readonly killEventsTopic: string;
  readonly dlqTopic: string;
  readonly limits: Partial<KillReportLimits>;
}

export type IntakeVerdict =
  | { readonly kind: 'reported'; readonly killId: string }
  | { readonly kind: 'redelivered'; readonly killId: string }
  | { readonly kind: 'duplicate'; readonly killId: string }
  | { readonly kind: 'dead_letter'; readonly code: string; readonly reason: string };

export interface IntakeResult {
  readonly outputs: readonly Output[];
  readonly verdicts: readonly IntakeVerdict[];
}

interface Accepted {
  readonly message: KafkaMessage;
  readonly kill: SmithKillMessage;
  readonly sha256: string;
}

/**
 * Turns one batch of Smith's kill notifications into KillReported events and
 * dead-letter records. A kill id is reported once: a repeat with the same
 * content is dropped, a repeat with other content is dead-lettered, and a record
 * redelivered after an aborted transaction (same topic/partition/offset) is
 * reported again.
 */
export async function takeInBatch(batch: ProcessorBatch, tx: EntityManager, settings: IntakeSettings, now: () => Date): Promise<IntakeResult> {
  const dead: Message[] = [];
  const events: Message[] = [];
  const verdicts: IntakeVerdict[] = [];
  const accepted: Accepted[] = [];

  for (const message of batch.messages) {
    const raw = message.value ?? Buffer.alloc(0);
    const parsed = parseSmithKillMessage(raw, settings.limits);
    if (parsed.ok) accepted.push({ message, kill: parsed.value, sha256: createHash('sha256').update(raw).digest('hex') });
    else {
      dead.push(deadLetter(batch, message, parsed.error, now()));
      verdicts.push({ kind: 'dead_letter', code: parsed.error.code, reason: parsed.error.reason });
    }
  }

  const known = await loadKnown(tx, accepted.map((a) => a.kill.payload.killId));
  const inserts: NewReportedKill[] = [];
  for (const a of accepted) {
    const killId = a.kill.payload.killId;
    const seen = known.get(killId);
    const sameRecord = seen && seen.source_topic === batch.topic && seen.source_partition === batch.partition && seen.source_offset === a.message.offset;
    if (seen && !sameRecord) {
      if (seen.payload_sha256 === a.sha256) verdicts.push({ kind: 'duplicate', killId });
      else {
        const failure: DeadLetterReason = {
          code: 'conflicting_duplicate',
          field: 'payload.kill_id',
          reason: `kill_id ${killId} was already reported with different content (first at ${seen.source_topic}/${seen.source_partition}@${seen.source_offset})`,
        };
        dead.push(deadLetter(batch, a.message, failure, now()));
        verdicts.push({ kind: 'dead_letter', code: failure.code, reason: failure.reason });
      }
      continue;
    }
    const env = killReported(batch, a, settings.source, now());
    events.push(toKafkaMessage('kill', env));
    verdicts.push({ kind: sameRecord ? 'redelivered' : 'reported', killId });
    if (!seen) {
      const row = { kill_id: killId, payload_sha256: a.sha256, source_topic: batch.topic, source_partition: batch.partition, source_offset: a.message.offset };
      known.set(killId, row);
      inserts.push({ ...row, event_id: env.id, received_at: env.time });
    }
  }
  await insertReported(tx, inserts);
  return {
    outputs: [
      { topic: settings.killEventsTopic, messages: events },
      { topic: settings.dlqTopic, messages: dead },
    ],
    verdicts,
  };
}

function killReported(batch: ProcessorBatch, a: Accepted, source: string, at: Date) {
  const { payload, correlationId, replyTo } = a.kill;
  const parentTrace = parseTraceparent(header(a.message.headers, 'traceparent'));
  const env = newEnvelope(
    'kill',
    {
      type: 'KillReported',
      killId: payload.killId,
      at: at.toISOString(),
      report: payload,
      correlationId,
      replyTo,
      source: { topic: batch.topic, partition: batch.partition, offset: a.message.offset },
    },
    { source, subject: payload.killId, time: at.toISOString(), correlationId },
  );
  // Continue Smith's trace when it sent one, so one kill is one trace end to end.
  return parentTrace ? { ...env, trace: nextSpan(parentTrace) } : env;
}

async function loadKnown(tx: EntityManager, killIds: readonly string[]): Promise<Map<string, ReportedKillRow>> {
  if (killIds.length === 0) return new Map();
  const rows: ReportedKillRow[] = await tx.query(
    `SELECT kill_id, payload_sha256, source_topic, source_partition, source_offset::text AS source_offset
       FROM reported_kills WHERE kill_id = ANY($1)`,
    [killIds],
  );
  return new Map(rows.map((r) => [r.kill_id, r]));
}

interface NewReportedKill extends ReportedKillRow {
  readonly event_id: string;
  readonly received_at: string;
}

/** One statement for the whole batch. */
async function insertReported(tx: EntityManager, rows: readonly NewReportedKill[]): Promise<void> {
  if (rows.length === 0) return;
  const column = <K extends keyof NewReportedKill>(k: K) => rows.map((r) => r[k]);
  await tx.query(
    `INSERT INTO reported_kills (kill_id, payload_sha256, source_topic, source_partition, source_offset, event_id, received_at)
     SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::int[], $5::bigint[], $6::uuid[], $7::timestamptz[])`,
    [column('kill_id'), column('payload_sha256'), column('source_topic'), column('source_partition'), column('source_offset'), column('event_id'), column('received_at')],
  );
}

type DeadLetterReason = { readonly code: ValidationFailure['code'] | 'conflicting_duplicate'; readonly field: string | null; readonly reason: string };

/** The original bytes and headers, plus why and where from: nothing Smith sent is lost. */
function deadLetter(batch: ProcessorBatch, message: KafkaMessage, failure: DeadLetterReason, at: Date): Message {
  const headers: IHeaders = {
    ...(message.headers ?? {}),
    medic_dlq_code: failure.code,
    medic_dlq_reason: failure.reason,
    medic_dlq_source_topic: batch.topic,
    medic_dlq_source_partition: String(batch.partition),
    medic_dlq_source_offset: message.offset,
    medic_dlq_failed_at: at.toISOString(),
  };
  if (failure.field) headers.medic_dlq_field = failure.field;
  return { key: message.key, value: message.value ?? Buffer.alloc(0), headers, timestamp: message.timestamp };
}
