import { err, ok, type Result } from '../shared/errors';
import { quote, type ValidationFailure } from './validation-failure';

/** The Kafka headers a signed kill report carries: which trusted key signed it, and the Ed25519 signature of the record's value. */
export const SIGNATURE_HEADERS = { keyId: 'smith_key_id', signature: 'smith_signature' } as const;

export interface SignaturePolicy {
  /** Whether a report must be signed by a trusted key; when not, an unsigned one is taken as before, and a signed one is still checked. */
  readonly required: boolean;
  /** The ids of the keys Medic trusts. */
  readonly trustedKeyIds: ReadonlySet<string>;
  /** How old a signed report's kill may be when Medic reads it: a signed report replayed later is refused. */
  readonly maxAgeMs: number;
}

/** What the record says of its signature, as read from its headers (null: absent). */
export interface ReportSignature {
  readonly keyId: string | null;
  readonly signature: string | null;
}

/** What checking the signature with a key found: the bytes are the record's value. */
export type SignatureVerdict = 'valid' | 'invalid' | 'malformed';

/** What a signing key id may be, wherever one is named: the trust map, a report's header, the simulator's option. */
export const SIGNING_KEY_ID = { pattern: /^[A-Za-z0-9._-]{1,64}$/, rule: '1-64 of A-Z a-z 0-9 . _ -' } as const;

/**
 * Whether a kill report may be taken in as far as its signature goes, and by
 * whose key (null for an unsigned report where none is required). `verify`
 * checks the signature of the record's value with the trusted key named;
 * `killAt` is the report's timestamp and `receivedAt` when Medic read it (not
 * the record's own timestamp, which whoever produces the record sets).
 */
export function checkReportSignature(
  signature: ReportSignature,
  policy: SignaturePolicy,
  verify: (keyId: string, signature: string) => SignatureVerdict,
  times: { readonly killAt: string; readonly receivedAt: string },
): Result<{ readonly signedBy: string | null }, ValidationFailure> {
  const { keyId, signature: value } = signature;
  if (keyId === null && value === null) {
    if (!policy.required) return ok({ signedBy: null });
    return err({ code: 'unsigned_report', field: null, reason: `the report is not signed, and smith.signing.required is true: a ${SIGNATURE_HEADERS.keyId} and a ${SIGNATURE_HEADERS.signature} header are needed` });
  }
  if (keyId === null || value === null) {
    const missing = keyId === null ? SIGNATURE_HEADERS.keyId : SIGNATURE_HEADERS.signature;
    return err({ code: 'invalid_signature', field: missing, reason: `the report carries half a signature: the ${missing} header is missing` });
  }
  if (!SIGNING_KEY_ID.pattern.test(keyId)) return err({ code: 'untrusted_key', field: SIGNATURE_HEADERS.keyId, reason: `key id ${quote(keyId)} is not a key id (${SIGNING_KEY_ID.rule})` });
  if (!policy.trustedKeyIds.has(keyId)) return err({ code: 'untrusted_key', field: SIGNATURE_HEADERS.keyId, reason: `key ${quote(keyId)} is not one of smith.signing.trusted_keys` });
  const verdict = verify(keyId, value);
  if (verdict === 'malformed') return err({ code: 'invalid_signature', field: SIGNATURE_HEADERS.signature, reason: `the ${SIGNATURE_HEADERS.signature} header is not the base64 of a 64-byte Ed25519 signature` });
  if (verdict === 'invalid') return err({ code: 'invalid_signature', field: SIGNATURE_HEADERS.signature, reason: `the signature does not verify with key ${quote(keyId)}: the report was altered, or signed with another key` });
  const ageMs = Date.parse(times.receivedAt) - Date.parse(times.killAt);
  if (ageMs > policy.maxAgeMs) {
    return err({
      code: 'stale_report',
      field: 'payload.timestamp',
      reason: `the signed report's kill (${times.killAt}) was ${Math.round(ageMs / 1000)} s old when it was read (${times.receivedAt}), more than the ${Math.round(policy.maxAgeMs / 1000)} s allowed (smith.signing.max_age_seconds): an old report replayed is refused`,
    });
  }
  return ok({ signedBy: keyId });
}
