import { err, ok, type Result } from '../shared/errors';
import {
  admitsUnknownFields,
  readCorrelationId,
  readMessageType,
  readPayloadObject,
  readReplyTo,
  readVersion,
} from './envelope-fields';
import { isUntrustedObject, ownField, type UntrustedObject } from './json-object';
import type { SmithKillMessage } from './kill-report';
import { readKillReport, unknownPayloadFields } from './kill-report-payload';
import { DEFAULT_KILL_REPORT_LIMITS, type KillReportLimits } from './kill-report-limits';
import { kindOf, quote, reject, Rejection, type ValidationFailure } from './validation-failure';
import { repeatedMember } from '../shared/json-members';
import { printable, shorten } from '../shared/text';

const ENVELOPE_FIELDS = new Set(['version', 'message_type', 'payload', 'correlation_id', 'reply_to']);
// How many fields a later minor version may add before the rest are only counted, and how much of a name is kept.
const MAX_IGNORED_NAMED = 16;
const MAX_IGNORED_NAME_LENGTH = 64;

/**
 * Reads one message from Smith's kill topic (spec 4.1 envelope, spec 2.1
 * payload). Anything that is not exactly a kill report is refused with the
 * first problem found; nothing is repaired or guessed. The one allowance: a
 * later 1.x minor version may add fields, which are left out and named in
 * `ignoredFields` (see `admitsUnknownFields`). Given when the message
 * was received (ISO-8601), a kill dated later than that, beyond the clock skew
 * allowed, is refused too.
 */
export function parseSmithKillMessage(
  raw: Uint8Array,
  limits: Partial<KillReportLimits> = {},
  receivedAt: string | null = null,
): Result<SmithKillMessage, ValidationFailure> {
  try {
    return ok(readMessage(raw, withDefaults(limits), receivedAt));
  } catch (error) {
    if (error instanceof Rejection) return err(error.failure);
    throw error;
  }
}

function readMessage(raw: Uint8Array, limits: KillReportLimits, receivedAt: string | null): SmithKillMessage {
  const envelope = readEnvelope(readJsonMessage(raw, limits.maxMessageBytes));
  const admitUnknown = admitsUnknownFields(ownField(envelope, 'version'));
  if (!admitUnknown) rejectUnknownEnvelopeFields(envelope);
  // Envelope fields first, so a foreign message is named as such rather than
  // by the first payload field it happens to lack.
  const version = readVersion(ownField(envelope, 'version'));
  const messageType = readMessageType(ownField(envelope, 'message_type'));
  const correlationId = readCorrelationId(ownField(envelope, 'correlation_id'));
  const replyTo = readReplyTo(ownField(envelope, 'reply_to'), limits.replyTopics);
  const payloadObject = readPayloadObject(ownField(envelope, 'payload'));
  const payload = readKillReport(payloadObject, limits, receivedAt, admitUnknown);
  const ignoredFields = admitUnknown ? namesOfIgnored(unknownEnvelopeFields(envelope), unknownPayloadFields(payloadObject)) : [];
  return { version, messageType, payload, correlationId, replyTo, ignoredFields };
}

/** Envelope fields as they are, payload fields as "payload.<name>"; printable, shortened, and past a bound only counted. */
function namesOfIgnored(envelopeFields: readonly string[], payloadFields: readonly string[]): string[] {
  const all = [...envelopeFields, ...payloadFields.map((name) => `payload.${name}`)];
  const shown = all.slice(0, MAX_IGNORED_NAMED).map((name) => printable(shorten(name, MAX_IGNORED_NAME_LENGTH)));
  const more = all.length - shown.length;
  return more > 0 ? [...shown, `(${more} more)`] : shown;
}

/** A message from Smith as parsed JSON: at most `maxBytes`, UTF-8, JSON; rejected otherwise (inside a reader only). */
export function readJsonMessage(raw: Uint8Array, maxBytes: number): unknown {
  if (raw.byteLength > maxBytes) reject('message_too_large', null, `message is ${raw.byteLength} bytes, more than the ${maxBytes} allowed`);
  return decodeJson(raw);
}

function decodeJson(raw: Uint8Array): unknown {
  if (raw.byteLength === 0) return reject('malformed_json', null, 'message is empty: a record with no value (a tombstone, say) holds no report');
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(raw);
  } catch {
    return reject('malformed_json', null, 'message is not valid UTF-8 text');
  }
  let value: unknown;
  try {
    value = JSON.parse(text) as unknown;
  } catch (error) {
    // The parser quotes the text around the fault, which may hold any byte Smith sent.
    const detail = error instanceof Error ? `: ${printable(error.message)}` : '';
    return reject('malformed_json', null, `message is not valid JSON${detail}`);
  }
  // JSON.parse would keep the last of the two silently; which one Smith meant is not Medic's guess.
  const repeated = repeatedMember(text);
  if (repeated !== null) {
    const path = printable(shorten(repeated.path, 128));
    reject('malformed_json', path, `message is ambiguous JSON: the member ${quote(repeated.name)} appears twice in one object (at ${path}); each name may appear once`);
  }
  return value;
}

function readEnvelope(value: unknown): UntrustedObject {
  if (!isUntrustedObject(value)) return reject('invalid_envelope', null, `message must be a JSON object, got ${kindOf(value)}`);
  return value;
}

function unknownEnvelopeFields(envelope: UntrustedObject): string[] {
  return Object.keys(envelope).filter((key) => !ENVELOPE_FIELDS.has(key));
}

function rejectUnknownEnvelopeFields(envelope: UntrustedObject): void {
  const [unknown] = unknownEnvelopeFields(envelope);
  if (unknown !== undefined) {
    reject('invalid_envelope', unknown.slice(0, 64), `message has an unknown envelope field ${quote(unknown)}; spec 4.1 has no such field`);
  }
}

// Partial<> admits explicit undefined, which must not erase a default.
function withDefaults(limits: Partial<KillReportLimits>): KillReportLimits {
  const given = Object.entries(limits).filter(([, value]) => value !== undefined);
  return { ...DEFAULT_KILL_REPORT_LIMITS, ...Object.fromEntries(given) };
}
