import { createPublicKey, type KeyObject } from 'node:crypto';

/** DER prefix of an Ed25519 SubjectPublicKeyInfo, before the key's 32 raw bytes (RFC 8410). */
const ED25519_SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

/**
 * An Ed25519 public key written as the base64 of its 32 raw bytes or as a PEM
 * "PUBLIC KEY" block (`openssl pkey -pubout`); null when it is neither.
 */
export function ed25519PublicKey(text: string): KeyObject | null {
  const trimmed = text.trim();
  try {
    if (trimmed.startsWith('-----BEGIN')) {
      const key = createPublicKey(trimmed);
      return key.asymmetricKeyType === 'ed25519' ? key : null;
    }
    if (!/^[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]=?$/.test(trimmed)) return null;
    const raw = Buffer.from(trimmed, 'base64');
    if (raw.length !== 32) return null;
    return createPublicKey({ key: Buffer.concat([ED25519_SPKI_PREFIX, raw]), format: 'der', type: 'spki' });
  } catch {
    return null;
  }
}
