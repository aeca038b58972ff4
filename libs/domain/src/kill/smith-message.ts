import { err, ok, type Result } from '../shared/errors';
import {
  readCorrelationId,
  readMessageType,
  readPayloadObject,
  readReplyTo,
  readVersion,
} from './envelope-fields';
import { isUntrustedObject, ownField, type UntrustedObject } from './json-object';
import type { SmithKillMessage } from './kill-report';
import { readKillReport } from './kill-report-payload';
import { DEFAULT_KILL_REPORT_LIMITS, type KillReportLimits } from './kill-report-limits';
import { kindOf, quote, reject, Rejection, type ValidationFailure } from './validation-failure';
import { printable } from '../shared/text';

const ENVELOPE_FIELDS = new Set(['version', 'message_type', 'payload', 'correlation_id', 'reply_to']);

/**
 * Reads one message from Smith's kill topic (spec 4.1 envelope, spec 2.1
 * payload). Anything that is not exactly a kill report is refused with the
 * first problem found; nothing is repaired or guessed. Given when the message
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
  // Envelope fields first, so a foreign message is named as such rather than
  // by the first payload field it happens to lack.
  const version = readVersion(ownField(envelope, 'version'));
  const messageType = readMessageType(ownField(envelope, 'message_type'));
  const correlationId = readCorrelationId(ownField(envelope, 'correlation_id'));
  const replyTo = readReplyTo(ownField(envelope, 'reply_to'), limits.replyTopics);
  const payload = readKillReport(readPayloadObject(ownField(envelope, 'payload')), limits, receivedAt);
  return { version, messageType, payload, correlationId, replyTo };
}

/** A message from Smith as parsed JSON: at most `maxBytes`, UTF-8, JSON; rejected otherwise (inside a reader only). */
export function readJsonMessage(raw: Uint8Array, maxBytes: number): unknown {
  if (raw.byteLength > maxBytes) reject('message_too_large', null, `message is ${raw.byteLength} bytes, more than the ${maxBytes} allowed`);
  return decodeJson(raw);
}

function decodeJson(raw: Uint8Array): unknown {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(raw);
  } catch {
    return reject('malformed_json', null, 'message is not valid UTF-8 text');
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    // The parser quotes the text around the fault, which may hold any byte Smith sent.
    const detail = error instanceof Error ? `: ${printable(error.message)}` : '';
    return reject('malformed_json', null, `message is not valid JSON${detail}`);
  }
}

function readEnvelope(value: unknown): UntrustedObject {
  if (!isUntrustedObject(value)) return reject('invalid_envelope', null, `message must be a JSON object, got ${kindOf(value)}`);
  const unknown = Object.keys(value).find((key) => !ENVELOPE_FIELDS.has(key));
  if (unknown !== undefined) {
    reject('invalid_envelope', unknown.slice(0, 64), `message has an unknown envelope field ${quote(unknown)}; spec 4.1 has no such field`);
  }
  return value;
}

// Partial<> admits explicit undefined, which must not erase a default.
function withDefaults(limits: Partial<KillReportLimits>): KillReportLimits {
  const given = Object.entries(limits).filter(([, value]) => value !== undefined);
  return { ...DEFAULT_KILL_REPORT_LIMITS, ...Object.fromEntries(given) };
}
