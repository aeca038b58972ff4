import { hasLoneSurrogate } from '../shared/text';
import { isValidTopicName } from './identifiers';
import { isUntrustedObject, type UntrustedObject } from './json-object';
import { kindOf, quote, reject } from './validation-failure';

/* Readers for the spec 4.1 envelope around a kill report. */

// Same major version only: a 2.x Smith may change meanings we cannot check.
const SUPPORTED_VERSION = /^1\.(0|[1-9][0-9]*)$/;
const MAX_CORRELATION_ID_LENGTH = 256;
const CONTROL_CHARACTER = /\p{Cc}/u;

export function readVersion(value: unknown): string {
  const version = requireEnvelopeString(value, 'version');
  if (!SUPPORTED_VERSION.test(version)) {
    reject('invalid_envelope', 'version', `version ${quote(version)} is not supported; expected "1.0" or another 1.x version`);
  }
  return version;
}

/**
 * Whether a message whose version field holds `value` may carry fields this
 * Medic does not know. A later minor version of the same major only adds
 * fields (semantic versioning), so those are left out and named, never
 * guessed at; version "1.0", and anything that is not a supported version,
 * is read exactly, and there an unknown field is a mistake.
 */
export function admitsUnknownFields(value: unknown): boolean {
  return typeof value === 'string' && SUPPORTED_VERSION.test(value) && Number(value.split('.')[1]) > 0;
}

export function readMessageType(value: unknown): 'KILL_REPORT' {
  const type = requireEnvelopeString(value, 'message_type');
  if (type !== 'KILL_REPORT') reject('invalid_envelope', 'message_type', `message_type ${quote(type)} is not "KILL_REPORT"`);
  return type;
}

export function readPayloadObject(value: unknown): UntrustedObject {
  if (value === undefined) return reject('invalid_envelope', 'payload', 'payload is required but missing');
  if (!isUntrustedObject(value)) return reject('invalid_envelope', 'payload', `payload must be a JSON object, got ${kindOf(value)}`);
  return value;
}

export function readCorrelationId(value: unknown): string | null {
  const id = optionalEnvelopeString(value, 'correlation_id');
  if (id === null) return null;
  // A lone surrogate is half a character: it would reach Smith's answer as U+FFFD, naming no request of Smith's.
  if (id.length === 0 || id.length > MAX_CORRELATION_ID_LENGTH || CONTROL_CHARACTER.test(id) || hasLoneSurrogate(id)) {
    reject('invalid_envelope', 'correlation_id', `correlation_id must be 1 to ${MAX_CORRELATION_ID_LENGTH} printable characters`);
  }
  return id;
}

/** Where Smith wants answers: a legal Kafka topic name, and one of the topics Medic reads answers from. */
export function readReplyTo(value: unknown, replyTopics: readonly string[]): string | null {
  const topic = optionalEnvelopeString(value, 'reply_to');
  if (topic === null) return null;
  if (!isValidTopicName(topic)) {
    const rule = '1 to 249 letters, digits, ".", "_" or "-"';
    reject('invalid_envelope', 'reply_to', `reply_to ${quote(topic)} is not a valid topic name (${rule})`);
  }
  if (!replyTopics.includes(topic)) {
    const allowed = replyTopics.map((t) => quote(t)).join(', ');
    reject('invalid_envelope', 'reply_to', `reply_to ${quote(topic)} is not a topic Medic reads Smith's answers from; allowed: ${allowed} (smith.veto_protocol.reply_topics)`);
  }
  return topic;
}

function requireEnvelopeString(value: unknown, field: string): string {
  if (value === undefined) return reject('invalid_envelope', field, `${field} is required but missing`);
  if (typeof value !== 'string') return reject('invalid_envelope', field, `${field} must be a string, got ${kindOf(value)}`);
  return value;
}

function optionalEnvelopeString(value: unknown, field: string): string | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'string') return reject('invalid_envelope', field, `${field} must be a string or null, got ${kindOf(value)}`);
  return value;
}
