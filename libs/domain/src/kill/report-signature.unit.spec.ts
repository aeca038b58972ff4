import { checkReportSignature, type SignaturePolicy, type SignatureVerdict } from './report-signature';

const policy = (over: Partial<SignaturePolicy> = {}): SignaturePolicy => ({ required: false, trustedKeyIds: new Set(['smith-1']), maxAgeMs: 300_000, ...over });
const times = { killAt: '2026-12-02T12:00:00.000Z', receivedAt: '2026-12-02T12:00:02.000Z' };
const verifier = (verdict: SignatureVerdict) => {
  const calls: string[] = [];
  return { calls, verify: (keyId: string, sig: string) => (calls.push(`${keyId}:${sig}`), verdict) };
};

describe('checkReportSignature', () => {
  it('takes an unsigned report where none is required, signed by nobody', () => {
    const v = verifier('valid');
    expect(checkReportSignature({ keyId: null, signature: null }, policy(), v.verify, times)).toEqual({ ok: true, value: { signedBy: null } });
    expect(v.calls).toEqual([]);
  });

  it('refuses an unsigned report where signing is required', () => {
    const r = checkReportSignature({ keyId: null, signature: null }, policy({ required: true }), verifier('valid').verify, times);
    expect(r).toMatchObject({ ok: false, error: { code: 'unsigned_report', field: null } });
  });

  it('takes a report signed by a trusted key, naming the key', () => {
    const v = verifier('valid');
    expect(checkReportSignature({ keyId: 'smith-1', signature: 'c2ln' }, policy({ required: true }), v.verify, times)).toEqual({ ok: true, value: { signedBy: 'smith-1' } });
    expect(v.calls).toEqual(['smith-1:c2ln']);
  });

  it.each([
    [{ keyId: 'smith-1', signature: null }, 'invalid_signature', 'smith_signature', /half a signature/],
    [{ keyId: null, signature: 'c2ln' }, 'invalid_signature', 'smith_key_id', /half a signature/],
    [{ keyId: 'smith-9', signature: 'c2ln' }, 'untrusted_key', 'smith_key_id', /"smith-9" is not one of smith.signing.trusted_keys/],
    [{ keyId: 'a b\u0000', signature: 'c2ln' }, 'untrusted_key', 'smith_key_id', /is not a key id/],
  ])('refuses %j as %s, whatever is required', (signature, code, field, reason) => {
    const v = verifier('valid');
    for (const required of [false, true]) {
      const r = checkReportSignature(signature, policy({ required }), v.verify, times);
      expect(r).toMatchObject({ ok: false, error: { code, field } });
      expect(!r.ok && r.error.reason).toMatch(reason);
    }
    expect(v.calls).toEqual([]);
  });

  it('refuses a signature that does not verify, or is not one', () => {
    const bad = checkReportSignature({ keyId: 'smith-1', signature: 'c2ln' }, policy(), verifier('invalid').verify, times);
    expect(bad).toMatchObject({ ok: false, error: { code: 'invalid_signature', field: 'smith_signature' } });
    expect(!bad.ok && bad.error.reason).toMatch(/does not verify with key "smith-1"/);
    const malformed = checkReportSignature({ keyId: 'smith-1', signature: '%%' }, policy(), verifier('malformed').verify, times);
    expect(!malformed.ok && malformed.error.reason).toMatch(/not the base64 of a 64-byte Ed25519 signature/);
  });

  it('refuses a signed report older than max_age when read, and takes one just within it', () => {
    const old = checkReportSignature({ keyId: 'smith-1', signature: 'c2ln' }, policy(), verifier('valid').verify, { killAt: times.killAt, receivedAt: '2026-12-02T12:05:00.001Z' });
    expect(old).toMatchObject({ ok: false, error: { code: 'stale_report', field: 'payload.timestamp' } });
    expect(!old.ok && old.error.reason).toMatch(/300 s old when it was read .* more than the 300 s allowed/);
    const within = checkReportSignature({ keyId: 'smith-1', signature: 'c2ln' }, policy(), verifier('valid').verify, { killAt: times.killAt, receivedAt: '2026-12-02T12:05:00.000Z' });
    expect(within.ok).toBe(true);
  });
});
