import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest, type RequestOptions } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeTestCertificates, medicCli, startMedic, type MedicUnderTest } from '@medic/testing';

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: { success: boolean; data: unknown; errors: { code: string; message: string }[] };
}

/** A GET over HTTPS with the options given (the CA to trust, a client certificate). */
function get(url: string, options: RequestOptions): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(url, { ...options, timeout: 10_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as Answer['body'] }));
    });
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', reject);
    req.end();
  });
}

describe('REST gateway over HTTPS (interfaces.web.tls)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'medic-tls-'));
  const files = makeTestCertificates(dir);
  const ca = readFileSync(files.ca);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  describe('with a server certificate', () => {
    let medic: MedicUnderTest;
    beforeAll(async () => {
      medic = await startMedic({ services: ['gateway'], config: { interfaces: { web: { tls: { cert_file: files.serverCert, key_file: files.serverKey } } } } });
    });
    afterAll(async () => {
      await medic?.stop();
    });

    it('serves the API over HTTPS, with Strict-Transport-Security', async () => {
      expect(medic.api.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+\/api\/v1$/);
      const status = await get(`${medic.api.url}/status`, { ca, headers: { 'X-API-Key': medic.api.key } });
      expect(status.status).toBe(200);
      expect(status.body.success).toBe(true);
      expect(status.headers['strict-transport-security']).toBe('max-age=31536000');
      expect(status.headers['content-security-policy']).toMatch(/^default-src 'none'/);
      // No key: the same envelope as over HTTP.
      const refused = await get(`${medic.api.url}/status`, { ca });
      expect(refused.status).toBe(401);
      expect(refused.body.errors[0]!.code).toBe('unauthorized');
    });

    it('is not served in plain HTTP, and a client that does not trust the certificate does not connect', async () => {
      const plain = new Promise((resolve, reject) => {
        const req = httpRequest(medic.api.url.replace('https:', 'http:') + '/health', { timeout: 10_000 }, resolve);
        req.on('timeout', () => req.destroy(new Error('timed out')));
        req.on('error', reject);
        req.end();
      });
      await expect(plain).rejects.toThrow();
      await expect(get(`${medic.api.url}/health`, {})).rejects.toThrow(/certificate/);
    });
  });

  describe('with client certificates (client_ca_file)', () => {
    let medic: MedicUnderTest;
    beforeAll(async () => {
      medic = await startMedic({ services: ['gateway'], config: { interfaces: { web: { tls: { cert_file: files.serverCert, key_file: files.serverKey, client_ca_file: files.ca } } } } });
    });
    afterAll(async () => {
      await medic?.stop();
    });

    it('takes a request with a key and a certificate the CA signed', async () => {
      const ok = await get(`${medic.api.url}/status`, { ca, cert: readFileSync(files.clientCert), key: readFileSync(files.clientKey), headers: { 'X-API-Key': medic.api.key } });
      expect(ok.status).toBe(200);
    });

    it('answers 401 saying why to a request without a certificate, or with one the CA did not sign, whatever its key', async () => {
      const none = await get(`${medic.api.url}/status`, { ca, headers: { 'X-API-Key': medic.api.key } });
      expect(none.status).toBe(401);
      expect(none.body.errors[0]!.message).toMatch(/^a client certificate is required: .*interfaces\.web\.tls\.client_ca_file/);
      const stranger = await get(`${medic.api.url}/status`, { ca, cert: readFileSync(files.strangerCert), key: readFileSync(files.strangerKey), headers: { 'X-API-Key': medic.api.key } });
      expect(stranger.status).toBe(401);
      expect(stranger.body.errors[0]!.message).toMatch(/^the client certificate is not accepted \(/);
    });

    it('still answers /health without a certificate (it needs no key either), for probes', async () => {
      expect((await get(`${medic.api.url}/health`, { ca })).status).toBe(200);
    });
  });

  it('refuses to start on files it cannot use, naming the key, before starting anything', async () => {
    const home = mkdtempSync(join(tmpdir(), 'medic-tls-home-'));
    try {
      const env = { ...process.env, MEDIC_HOME: home, MEDIC_CONFIG_PATH: '', MEDIC_API_TLS_CERT_FILE: join(dir, 'missing.crt'), MEDIC_API_TLS_KEY_FILE: files.serverKey };
      await expect(medicCli(['up'], { env })).rejects.toMatchObject({ code: 2, stderr: expect.stringMatching(/interfaces\.web\.tls\.cert_file: cannot read .*missing\.crt: ENOENT/) });
      // The key of another certificate.
      await expect(medicCli(['up'], { env: { ...env, MEDIC_API_TLS_CERT_FILE: files.serverCert, MEDIC_API_TLS_KEY_FILE: files.clientKey } })).rejects.toMatchObject({
        code: 2,
        stderr: expect.stringMatching(/interfaces\.web\.tls: the certificate, key or CA cannot be used: .*key values mismatch/),
      });
      await expect(medicCli(['up'], { env: { ...env, MEDIC_API_TLS_CERT_FILE: files.serverCert, MEDIC_API_TLS_KEY_FILE: '' } })).rejects.toMatchObject({ code: 2 });
      // Its own broker is plaintext: TLS or SASL to it would fail every service.
      const plain = { ...process.env, MEDIC_HOME: home, MEDIC_CONFIG_PATH: '' };
      await expect(medicCli(['up'], { env: { ...plain, KAFKA_TLS: 'true' } })).rejects.toMatchObject({ code: 2, stderr: expect.stringMatching(/^medic: kafka\.tls and kafka\.sasl are for brokers of your own; `medic up` runs a broker of its own/) });
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });
});
