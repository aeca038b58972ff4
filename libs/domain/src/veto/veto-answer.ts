import { readCorrelationId } from '../kill/envelope-fields';
import { isUntrustedObject, ownField, type UntrustedObject } from '../kill/json-object';
import { DEFAULT_KILL_REPORT_LIMITS } from '../kill/kill-report-limits';
import { readEnum, readEvidence, readString, readTimestamp } from '../kill/payload-fields';
import { readJsonMessage } from '../kill/smith-message';
import { kindOf, quote, reject, Rejection, rejectUnstorable, type ValidationFailure } from '../kill/validation-failure';
import { VETO_DECISIONS, type VetoAnswer } from './veto.types';

export const VETO_ANSWER_TYPE = 'RESURRECTION_VETO';

const ANSWER_FIELDS = new Set(['message_type', 'request_id', 'correlation_id', 'kill_id', 'decision', 'reason', 'new_evidence', 'counter_proposal', 'timestamp']);
const MAX_REASON_LENGTH = 2_000;

/**
 * What a message on a reply topic is: Smith's answer to a notice, a message of
 * another type (the topic may carry Medic's other replies: not ours to judge),
 * or a RESURRECTION_VETO (or something without a type) that cannot be read.
 */
export type VetoAnswerRead =
  | { readonly kind: 'answer'; readonly answer: VetoAnswer }
  | { readonly kind: 'other'; readonly messageType: string }
  | { readonly kind: 'malformed'; readonly failure: ValidationFailure };

/** Reads one message from a reply topic (spec 4.4 RESURRECTION_VETO); the first problem found is the reason. */
export function readVetoAnswer(raw: Uint8Array, maxBytes: number): VetoAnswerRead {
  try {
    const message = readJsonMessage(raw, maxBytes);
    if (!isUntrustedObject(message)) return reject('invalid_envelope', null, `message must be a JSON object, got ${kindOf(message)}`);
    const type = ownField(message, 'message_type');
    if (typeof type === 'string' && type !== VETO_ANSWER_TYPE) return { kind: 'other', messageType: type };
    if (type === undefined) return reject('invalid_envelope', 'message_type', 'message_type is required but missing');
    if (typeof type !== 'string') return reject('invalid_envelope', 'message_type', `message_type must be a string, got ${kindOf(type)}`);
    return { kind: 'answer', answer: readAnswer(message) };
  } catch (error) {
    if (error instanceof Rejection) return { kind: 'malformed', failure: error.failure };
    throw error;
  }
}

function readAnswer(message: UntrustedObject): VetoAnswer {
  const unknown = Object.keys(message).find((key) => !ANSWER_FIELDS.has(key));
  if (unknown !== undefined) reject('invalid_envelope', unknown.slice(0, 64), `message has an unknown field ${quote(unknown)}; spec 4.4 has no such field`);
  const requestId = readOptionalId(ownField(message, 'request_id'), 'request_id');
  const correlationId = readCorrelationId(ownField(message, 'correlation_id'));
  if (requestId === null && correlationId === null) reject('invalid_field', 'request_id', 'a RESURRECTION_VETO must name its notice by request_id or correlation_id');
  const decision = ownField(message, 'decision');
  if (decision === undefined) reject('invalid_field', 'decision', `decision is required but missing (one of ${VETO_DECISIONS.join(', ')})`);
  const counterProposal = ownField(message, 'counter_proposal');
  if (counterProposal !== undefined && counterProposal !== null && !isUntrustedObject(counterProposal)) {
    reject('invalid_field', 'counter_proposal', `counter_proposal must be an object, got ${kindOf(counterProposal)}`);
  }
  const evidence = ownField(message, 'new_evidence');
  const timestamp = ownField(message, 'timestamp');
  return {
    requestId,
    correlationId,
    killId: readOptionalId(ownField(message, 'kill_id'), 'kill_id'),
    decision: readEnum(decision, 'decision', VETO_DECISIONS),
    reason: readReason(ownField(message, 'reason')),
    newEvidence: evidence === undefined || evidence === null ? [] : readEvidence(evidence, 'new_evidence', DEFAULT_KILL_REPORT_LIMITS),
    timestamp: timestamp === undefined || timestamp === null ? null : readTimestamp(timestamp, 'timestamp'),
  };
}

function readOptionalId(value: unknown, field: string): string | null {
  if (value === undefined || value === null) return null;
  const id = readString(value, field);
  if (id.length === 0 || id.length > 256 || /\p{Cc}/u.test(id)) reject('invalid_field', field, `${field} must be 1 to 256 printable characters`);
  return id;
}

function readReason(value: unknown): string {
  if (value === undefined || value === null) return '';
  const reason = readString(value, 'reason');
  if (reason.length > MAX_REASON_LENGTH) reject('invalid_field', 'reason', `reason is longer than ${MAX_REASON_LENGTH} characters`);
  rejectUnstorable(reason, 'reason');
  return reason;
}
