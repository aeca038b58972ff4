import { createHash } from 'node:crypto';
import type { KafkaMessage, Message } from 'kafkajs';
import { addMilliseconds, canonicalJson, checkReportSignature, parseSmithKillMessage, type KillEvent, type KillReportLimits, type Result, type SmithKillMessage, type ValidationFailure } from '@medic/domain';
import { deadLetter as deadLetterOf, handledIn, newEnvelope, toKafkaMessage, type EventEnvelope, type Output, type ProcessorBatch } from '@medic/eventlog';
import { In, type EntityManager } from 'typeorm';
import { ReportedKill } from './listener.schema';
import { signatureOf, verifierFor, type ReportSigning } from './report-signatures';

export interface IntakeSettings {
  readonly source: string;
  readonly killEventsTopic: string;
  readonly dlqTopic: string;
  readonly limits: Partial<KillReportLimits>;
  /** smith.signing: which reports must be signed, by which keys. */
  readonly signing: ReportSigning;
  /** With a SIEM configured, how long a kill waits for its SIEM context from when it is taken in (see `enrichmentWaitMs`); null without one. */
  readonly enrichmentWaitMs: number | null;
}

export type IntakeVerdict =
  | { readonly kind: 'reported' | 'redelivered'; readonly killId: string; readonly version: string; readonly ignoredFields: readonly string[] }
  | { readonly kind: 'duplicate'; readonly killId: string }
  | { readonly kind: 'dead_letter'; readonly code: string; readonly reason: string };

export interface IntakeResult {
  readonly outputs: readonly Output[];
  readonly verdicts: readonly IntakeVerdict[];
}

/** One partition's batch and what the intake makes of it. */
interface BatchIntake {
  readonly batch: ProcessorBatch;
  readonly events: Message[];
  readonly dead: Message[];
  readonly verdicts: IntakeVerdict[];
}

interface Accepted {
  readonly intake: BatchIntake;
  readonly message: KafkaMessage;
  readonly kill: SmithKillMessage;
  /** The report's content: the SHA-256 of its payload as canonical JSON (see `contentHashes`). */
  readonly sha256: string;
  /** The same over the payload's members in the order they came, as kill ids claimed before were stored. */
  readonly sha256AsSent: string;
  /** The trusted key that signed the report, if it is signed. */
  readonly signedBy: string | null;
}

/**
 * Turns batches of Smith's kill notifications (a round: at most one batch per
 * partition, in one transaction) into KillReported events and dead-letter
 * records, one result per batch, in order; the kill ids of all of them are
 * claimed together, in one statement. A kill id is reported once: a repeat
 * with the same content is dropped, a repeat with other content is
 * dead-lettered, and a record redelivered after an aborted transaction (same
 * topic/partition/offset) is reported again.
 */
export async function takeInBatches(batches: readonly ProcessorBatch[], tx: EntityManager, settings: IntakeSettings, now: () => Date): Promise<IntakeResult[]> {
  const intakes: BatchIntake[] = batches.map((batch) => ({ batch, events: [], dead: [], verdicts: [] }));
  const accepted: Accepted[] = [];

  // A kill dated after this (beyond the clock skew allowed) is refused as not having happened yet.
  const receivedAt = now().toISOString();
  for (const intake of intakes) {
    for (const message of intake.batch.messages) {
      const raw = message.value ?? Buffer.alloc(0);
      const read = readReport(raw, message, settings, receivedAt);
      // The report's content, not the envelope's bytes: a retry with a new correlation id is the same kill.
      if (read.ok) accepted.push({ intake, message, ...read.value, ...contentHashes(read.value.kill.payload) });
      else {
        intake.dead.push(deadLetter(intake.batch, message, read.error, now()));
        intake.verdicts.push({ kind: 'dead_letter', code: read.error.code, reason: read.error.reason });
      }
    }
  }

  // Claim each kill id with its first report; a concurrent transaction holding the same id
  // (a partition another instance handles) makes the insert wait for it, so exactly one claim wins.
  const firsts = new Map<string, Accepted>();
  for (const a of accepted) if (!firsts.has(a.kill.payload.killId)) firsts.set(a.kill.payload.killId, a);
  const envelopes = new Map([...firsts].map(([killId, a]) => [killId, killReported(a, settings, now())]));
  const claimed = await claim(tx, [...firsts].map(([killId, a]) => rowOf(a, envelopes.get(killId)!)));
  const known = await loadKnown(tx, [...firsts.keys()].filter((k) => !claimed.has(k)));
  for (const k of claimed) known.set(k, rowOf(firsts.get(k)!, envelopes.get(k)!));

  for (const a of accepted) {
    const { batch, events, dead, verdicts } = a.intake;
    const killId = a.kill.payload.killId;
    const seen = known.get(killId);
    // Not claimed and not found can only mean a concurrent claim vanished; the round is retried.
    if (!seen) throw Object.assign(new Error(`kill_id ${killId} neither claimed nor found`), { retriable: true });
    const sameRecord = seen.sourceTopic === batch.topic && seen.sourcePartition === batch.partition && String(seen.sourceOffset) === a.message.offset;
    if (sameRecord) {
      // Ours, or a redelivery of ours after a transaction that never committed.
      events.push(toKafkaMessage('kill', envelopes.get(killId)!));
      verdicts.push({ kind: claimed.has(killId) ? 'reported' : 'redelivered', killId, version: a.kill.version, ignoredFields: a.kill.ignoredFields });
    } else if (seen.payloadSha256 === a.sha256 || seen.payloadSha256 === a.sha256AsSent) {
      verdicts.push({ kind: 'duplicate', killId });
    } else {
      const failure: DeadLetterReason = {
        code: 'conflicting_duplicate',
        field: 'payload.kill_id',
        reason: `kill_id ${killId} was already reported with different content (first at ${seen.sourceTopic}/${seen.sourcePartition}@${seen.sourceOffset})`,
      };
      dead.push(deadLetter(batch, a.message, failure, now()));
      verdicts.push({ kind: 'dead_letter', code: failure.code, reason: failure.reason });
    }
  }
  return intakes.map(({ events, dead, verdicts }) => ({
    outputs: [
      { topic: settings.killEventsTopic, messages: events },
      { topic: settings.dlqTopic, messages: dead },
    ],
    verdicts,
  }));
}

/** A record as a kill report, and whose trusted key signed it (smith.signing), or why it is refused. */
function readReport(raw: Buffer, message: KafkaMessage, settings: IntakeSettings, receivedAt: string): Result<{ kill: SmithKillMessage; signedBy: string | null }, ValidationFailure> {
  const parsed = parseSmithKillMessage(raw, settings.limits, receivedAt);
  if (!parsed.ok) return parsed;
  const signed = checkReportSignature(signatureOf(message), settings.signing.policy, verifierFor(settings.signing, raw), { killAt: parsed.value.payload.timestamp, receivedAt });
  return signed.ok ? { ok: true, value: { kill: parsed.value, signedBy: signed.value.signedBy } } : signed;
}

function killReported(a: Accepted, { source, enrichmentWaitMs }: IntakeSettings, at: Date): EventEnvelope<KillEvent> {
  const { batch } = a.intake;
  const { payload, correlationId, replyTo, version, ignoredFields } = a.kill;
  return newEnvelope(
    'kill',
    {
      type: 'KillReported',
      killId: payload.killId,
      at: at.toISOString(),
      report: payload,
      correlationId,
      replyTo,
      source: { topic: batch.topic, partition: batch.partition, offset: a.message.offset },
      signedBy: a.signedBy,
      smithVersion: version,
      ignoredFields,
      // The wait starts when Medic has the kill, so the workflow appends nothing of its own before the context comes in.
      enrichmentDeadline: enrichmentWaitMs === null ? null : addMilliseconds(at.toISOString(), enrichmentWaitMs),
    },
    // The listener's span for Smith's record, itself in Smith's trace when Smith sent one: one kill, one trace.
    { source, subject: payload.killId, time: at.toISOString(), correlationId, trace: handledIn(a.message) },
  );
}

async function loadKnown(tx: EntityManager, killIds: readonly string[]): Promise<Map<string, ReportedKill>> {
  if (killIds.length === 0) return new Map();
  const rows = await tx.findBy(ReportedKill, { killId: In([...killIds]) });
  return new Map(rows.map((r) => [r.killId, r]));
}

/**
 * What tells a repeat of a report from other content under its kill id: the
 * payload's hash with its objects' members in name order, so that a Smith
 * that sends the same metadata again from a hash map, its members in
 * another order, repeats the report rather than contradicting it. Kill ids
 * claimed before this was so were stored with the hash of the members as
 * they came, which a repeat sent the same way still matches.
 */
function contentHashes(payload: SmithKillMessage['payload']): Pick<Accepted, 'sha256' | 'sha256AsSent'> {
  const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
  return { sha256: sha256(canonicalJson(payload)), sha256AsSent: sha256(JSON.stringify(payload)) };
}

function rowOf(a: Accepted, env: EventEnvelope<KillEvent>): ReportedKill {
  const { batch } = a.intake;
  return Object.assign(new ReportedKill(), {
    killId: a.kill.payload.killId,
    payloadSha256: a.sha256,
    sourceTopic: batch.topic,
    sourcePartition: batch.partition,
    sourceOffset: a.message.offset,
    eventId: env.id,
    receivedAt: new Date(env.time),
  });
}

/** Inserts the rows whose kill id is new, in one statement; returns the kill ids it inserted. */
async function claim(tx: EntityManager, rows: readonly ReportedKill[]): Promise<Set<string>> {
  if (rows.length === 0) return new Set();
  // One array per column: a round's claims cost one statement and no query building per row.
  const inserted = await tx.query<{ kill_id: string }[]>(
    `INSERT INTO reported_kills (kill_id, payload_sha256, source_topic, source_partition, source_offset, event_id, received_at)
     SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::int[], $5::bigint[], $6::uuid[], $7::timestamptz[])
     ON CONFLICT (kill_id) DO NOTHING
     RETURNING kill_id`,
    [
      rows.map((r) => r.killId),
      rows.map((r) => r.payloadSha256),
      rows.map((r) => r.sourceTopic),
      rows.map((r) => r.sourcePartition),
      rows.map((r) => r.sourceOffset),
      rows.map((r) => r.eventId),
      rows.map((r) => r.receivedAt.toISOString()),
    ],
  );
  return new Set(inserted.map((r) => r.kill_id));
}

type DeadLetterReason = { readonly code: ValidationFailure['code'] | 'conflicting_duplicate'; readonly field: string | null; readonly reason: string };

/**
 * The original bytes and headers, plus why and where from (the kit's dead
 * letter, with the field at fault and the report's own time): nothing Smith
 * sent is lost. A report is tried once: it fails the same way every time.
 */
function deadLetter(batch: ProcessorBatch, message: KafkaMessage, failure: DeadLetterReason, at: Date): Message {
  const letter = deadLetterOf('listener', { topic: batch.topic, partition: batch.partition, message: { ...message, value: message.value ?? Buffer.alloc(0) } }, failure, 1, at);
  return { ...letter, headers: { ...letter.headers, ...(failure.field ? { medic_dlq_field: failure.field } : {}) }, timestamp: message.timestamp };
}
