import { generateKeyPairSync } from 'node:crypto';
import { issuesOf } from '../test/config-issues';
import { parseConfig } from './parse-config';
import { ed25519PublicKey } from './signing-keys';

const { publicKey } = generateKeyPairSync('ed25519');
const RAW = publicKey.export({ format: 'der', type: 'spki' }).subarray(12).toString('base64');
const PEM = publicKey.export({ format: 'pem', type: 'spki' }).toString();
const RSA_PEM = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ format: 'pem', type: 'spki' }).toString();

describe('smith.signing', () => {
  it('is off by default: nothing required, no key trusted, a 15-minute replay window', () => {
    expect(parseConfig('').smith.signing).toEqual({ required: false, trusted_keys: {}, max_age_seconds: 900 });
  });

  it('reads Ed25519 public keys as base64 of their 32 bytes or as PEM, the same key either way', () => {
    const a = ed25519PublicKey(RAW)!;
    const b = ed25519PublicKey(PEM)!;
    expect(a.equals(b)).toBe(true);
    expect(ed25519PublicKey(RSA_PEM)).toBeNull();
    expect(ed25519PublicKey('c2hvcnQ=')).toBeNull();
    expect(ed25519PublicKey(`${RAW.slice(0, -4)}!!!=`)).toBeNull();
  });

  it('takes trusted keys from the file and from MEDIC_SMITH_TRUSTED_KEYS, and required from MEDIC_SMITH_SIGNING_REQUIRED', () => {
    const yaml = `smith:\n  signing:\n    trusted_keys:\n      smith-1: "${RAW}"\n`;
    const signing = parseConfig(yaml, { MEDIC_SMITH_TRUSTED_KEYS: `smith-2=${RAW}`, MEDIC_SMITH_SIGNING_REQUIRED: 'true' }).smith.signing;
    expect(signing.required).toBe(true);
    expect(Object.keys(signing.trusted_keys).sort()).toEqual(['smith-1', 'smith-2']);
  });

  it('refuses a key that is not an Ed25519 public key, a bad key id, and required with no key, naming the key', () => {
    const keys = (yaml: string, env: NodeJS.ProcessEnv = {}) => issuesOf(() => parseConfig(yaml, env)).map((i) => `${i.key}: ${i.message}`);
    expect(keys(`smith:\n  signing:\n    trusted_keys:\n      smith-1: "not a key"\n`)).toEqual([expect.stringMatching(/^smith\.signing\.trusted_keys\.smith-1: must be an Ed25519 public key/)]);
    expect(keys(`smith:\n  signing:\n    trusted_keys:\n      "bad id!": "${RAW}"\n`)).toEqual([expect.stringMatching(/^smith\.signing\.trusted_keys.*key ids are 1-64/)]);
    expect(keys(`smith:\n  signing:\n    required: true\n`)).toEqual([expect.stringMatching(/^smith\.signing\.required: required is true but trusted_keys is empty/)]);
    expect(keys('', { MEDIC_SMITH_TRUSTED_KEYS: 'no-equals-sign' })).toEqual([expect.stringMatching(/^MEDIC_SMITH_TRUSTED_KEYS: must be key_id=base64/)]);
  });
});
