import { verify as verifySignature, type KeyObject } from 'node:crypto';
import type { KafkaMessage } from 'kafkajs';
import { ed25519PublicKey, type MedicConfig } from '@medic/config';
import { SIGNATURE_HEADERS, type ReportSignature, type SignaturePolicy, type SignatureVerdict } from '@medic/domain';
import { header } from '@medic/eventlog';

/** smith.signing: the policy, and the trusted keys by id. */
export interface ReportSigning {
  readonly policy: SignaturePolicy;
  readonly keys: ReadonlyMap<string, KeyObject>;
}

export function reportSigning(config: MedicConfig): ReportSigning {
  const { required, trusted_keys, max_age_seconds } = config.smith.signing;
  const keys = new Map<string, KeyObject>();
  for (const [id, text] of Object.entries(trusted_keys)) {
    const key = ed25519PublicKey(text);
    // The config was checked at start-up; a key that does not read here is a bug, not input.
    if (key === null) throw new Error(`smith.signing.trusted_keys.${id} is not an Ed25519 public key`);
    keys.set(id, key);
  }
  return { policy: { required, trustedKeyIds: new Set(keys.keys()), maxAgeMs: max_age_seconds * 1000 }, keys };
}

/** The signature headers of a record (null when absent). */
export function signatureOf(message: KafkaMessage): ReportSignature {
  return { keyId: header(message.headers, SIGNATURE_HEADERS.keyId), signature: header(message.headers, SIGNATURE_HEADERS.signature) };
}

const BASE64_SIGNATURE = /^[A-Za-z0-9+/]{85}[AQgw]==$/;

/** Checks the Ed25519 signature (base64, 64 bytes) of the record's value with the trusted key named. */
export function verifierFor(signing: ReportSigning, value: Buffer): (keyId: string, signature: string) => SignatureVerdict {
  return (keyId, signature) => {
    const key = signing.keys.get(keyId);
    const text = signature.trim();
    if (key === undefined) return 'invalid';
    if (!BASE64_SIGNATURE.test(text)) return 'malformed';
    return verifySignature(null, value, key, Buffer.from(text, 'base64')) ? 'valid' : 'invalid';
  };
}
