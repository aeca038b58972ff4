import { shorten, unstorableTextProblem } from '../shared/text';

export type ValidationCode =
  | 'message_too_large'
  | 'malformed_json'
  | 'invalid_envelope'
  | 'invalid_field'
  | 'unsigned_report'
  | 'untrusted_key'
  | 'invalid_signature'
  | 'stale_report';

/** Why a Smith message was refused; the edge puts it on the dead-letter topic as is. */
export interface ValidationFailure {
  readonly code: ValidationCode;
  /** Wire path of the offending field ("payload.kill_id", "payload.evidence[3]"), null for the whole message. */
  readonly field: string | null;
  /** A sentence for a human: which field, and what was wrong with it. */
  readonly reason: string;
}

/**
 * Thrown inside the parser only, so that nested field readers can stop at the
 * first problem without threading results through every call; the parser
 * turns it back into a Result before anything leaves this module.
 */
export class Rejection extends Error {
  constructor(readonly failure: ValidationFailure) {
    super(failure.reason);
    this.name = 'Rejection';
  }
}

/** Refuses text no step could store (see shared/text) as `invalid_field` at `field`, the reason saying it of `subject`. */
export function rejectUnstorable(text: string, field: string, subject = field): void {
  const problem = unstorableTextProblem(text);
  if (problem !== null) reject('invalid_field', field, `${subject} ${problem}`);
}

export function reject(code: ValidationCode, field: string | null, reason: string): never {
  throw new Rejection({ code, field, reason });
}

/** Shows an untrusted value in a reason without letting it flood the dead-letter record. */
export function quote(value: string, max = 64): string {
  return JSON.stringify(shorten(value, max));
}

/** A short description of a JSON value's kind, for "must be a string, got …" reasons. */
export function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  return `a ${typeof value}`;
}
