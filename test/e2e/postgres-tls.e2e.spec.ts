import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { openDatabase } from '@medic/eventlog';
import { cliEnv, eventually, killReport, makeTestCertificates, medicCli, smithMessage, startMedic, startTlsPostgres, type MedicUnderTest, type TlsPostgres } from '@medic/testing';

interface Session {
  application_name: string;
  ssl: boolean;
}

/**
 * Postgres over TLS (spec 11: every connection over TLS), through
 * `database.url`'s `sslmode` and `sslrootcert`: Medic's services and its
 * replay CLI against a Postgres that serves TLS only, with a certificate the
 * test's CA signed. Every session they open is encrypted; a client that asks
 * for no TLS, or trusts another CA, is refused.
 */
describe('Postgres over TLS (database.url with sslmode=verify-full)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'medic-pg-tls-'));
  const pki = makeTestCertificates(dir);
  let postgres: TlsPostgres;
  let medic: MedicUnderTest;

  beforeAll(async () => {
    // As root, Postgres runs as user postgres, which must be able to pass through the folder.
    chmodSync(dir, 0o711);
    postgres = await startTlsPostgres(join(dir, 'stack'), { certFile: pki.serverCert, keyFile: pki.serverKey, caFile: pki.ca });
    medic = await startMedic({ services: ['listener', 'decision', 'gateway'], databaseServer: postgres.url });
  });
  afterAll(async () => {
    await medic?.stop();
    await postgres?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  /** What the server says of the sessions open on it now. */
  const sessions = async (): Promise<Session[]> => {
    const client = new Client({ connectionString: postgres.url });
    await client.connect();
    try {
      const result = await client.query<Session>(
        "SELECT a.application_name, s.ssl FROM pg_stat_activity a JOIN pg_stat_ssl s USING (pid) WHERE a.backend_type = 'client backend' AND a.pid <> pg_backend_pid()",
      );
      return result.rows;
    } finally {
      await client.end();
    }
  };
  const withParams = (url: string, params: string) => `${url.split('?')[0]}?${params}`;

  it('decides a kill with every service on TLS sessions', async () => {
    expect(medic.databaseUrl).toContain('sslmode=verify-full');
    const report = killReport();
    await medic.publishRaw(smithMessage(report), report.kill_id);
    const decision = await eventually(async () => {
      const res = await medic.get<{ data: { items: { kill_id: string; outcome: string }[] } }>('/decisions');
      return res.body.data.items.find((d) => d.kill_id === report.kill_id);
    }, `a decision for ${report.kill_id}`);
    expect(decision.outcome).toBeDefined();
    const open = await sessions();
    const names = new Set(open.map((s) => s.application_name));
    for (const name of ['medic-listener', 'medic-decision', 'medic-gateway']) expect(names).toContain(name);
    expect(open.filter((s) => !s.ssl)).toEqual([]);
  });

  it('rebuilds projections over TLS with the replay CLI', async () => {
    const rebuilt = await medicCli(['replay', 'rebuild', '--projection', 'gateway.kills'], { env: cliEnv(medic) });
    expect(rebuilt.stdout).toMatch(/rebuilt gateway\.kills: [1-9]\d* events applied/);
  });

  it('is refused without TLS', async () => {
    await expect(openDatabase({ url: withParams(medic.databaseUrl, 'sslmode=disable'), schema: 'tls_check', entities: [], ddl: [] })).rejects.toThrow(/no encryption/);
  });

  it("is refused when the server's certificate is not signed by the CA it trusts", async () => {
    const url = withParams(medic.databaseUrl, `sslmode=verify-full&sslrootcert=${encodeURIComponent(pki.strangerCert)}`);
    await expect(openDatabase({ url, schema: 'tls_check', entities: [], ddl: [] })).rejects.toThrow(/certificate/i);
  });
});
