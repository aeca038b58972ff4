import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cliEnv, eventually, killEventsOf, medicCli, startMedic, type MedicUnderTest } from '@medic/testing';

/*
 * Signed kill reports (smith.signing), through the real listener, decision
 * service and gateway: a report signed by a trusted key with `medic smith
 * kill --sign-key` is decided and names its key in the log; an unsigned one,
 * and one signed by a key Medic does not trust, are dead-lettered with the
 * reason and listed on REST.
 */

interface Envelope<T> {
  data: T;
}
interface Letter {
  code: string;
  reason: string;
  field?: string;
}

describe('signed kill reports', () => {
  let medic: MedicUnderTest;
  let dir: string;
  const trusted = generateKeyPairSync('ed25519');
  const stranger = generateKeyPairSync('ed25519');

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'medic-signing-'));
    writeFileSync(join(dir, 'smith.pem'), trusted.privateKey.export({ format: 'pem', type: 'pkcs8' }));
    writeFileSync(join(dir, 'stranger.pem'), stranger.privateKey.export({ format: 'pem', type: 'pkcs8' }));
    writeFileSync(join(dir, 'rsa.pem'), generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({ format: 'pem', type: 'pkcs8' }));
    const publicKey = trusted.publicKey.export({ format: 'der', type: 'spki' }).subarray(12).toString('base64');
    medic = await startMedic({ services: [] });
    const signing = { MEDIC_SMITH_SIGNING_REQUIRED: 'true', MEDIC_SMITH_TRUSTED_KEYS: `smith-prod=${publicKey}` };
    for (const service of ['listener', 'decision', 'gateway'] as const) await medic.start(service, signing);
  });

  afterAll(async () => {
    await medic?.stop();
  });

  it('decides a report signed by a trusted key, and the log names the key', async () => {
    const { stdout } = await medicCli(['smith', 'kill', 'signed-api', '--kill-id', 'signed-1', '--sign-key', join(dir, 'smith.pem'), '--key-id', 'smith-prod'], { env: cliEnv(medic) });
    expect(stdout).toMatch(/sent kill signed-1 of signed-api .*signed with key smith-prod/);
    const events = await killEventsOf(medic, 'signed-1', (e) => e.some((x) => x.type === 'DecisionMade'), 'the signed kill decided');
    expect(events[0]).toMatchObject({ type: 'KillReported', signedBy: 'smith-prod' });
  });

  it('dead-letters an unsigned report and one signed by a key it does not trust, naming why, while the signed one behind them is decided', async () => {
    await medicCli(['smith', 'kill', 'plain-api', '--kill-id', 'unsigned-1'], { env: cliEnv(medic) });
    await medicCli(['smith', 'kill', 'plain-api', '--kill-id', 'stranger-1', '--sign-key', join(dir, 'stranger.pem'), '--key-id', 'smith-prod'], { env: cliEnv(medic) });
    await medicCli(['smith', 'kill', 'signed-api', '--kill-id', 'signed-2', '--sign-key', join(dir, 'smith.pem'), '--key-id', 'smith-prod'], { env: cliEnv(medic) });
    await killEventsOf(medic, 'signed-2', (e) => e.some((x) => x.type === 'DecisionMade'), 'the signed kill behind them decided');

    const letters = await eventually(async () => {
      const res = await medic.get<Envelope<{ items: Letter[] }>>('/dead-letters?dlq=kill_reports');
      return res.body.data.items.length >= 2 ? res.body.data.items : undefined;
    }, 'the two refused reports on REST');
    expect(letters.map((l) => l.code).sort()).toEqual(['invalid_signature', 'unsigned_report']);
    expect(letters.find((l) => l.code === 'invalid_signature')!.reason).toMatch(/does not verify with key "smith-prod"/);
    expect(letters.find((l) => l.code === 'unsigned_report')!.reason).toMatch(/smith.signing.required is true/);
    // Only the signed ones were decided, and each decision names the key that vouched for its report.
    const decisions = await eventually(async () => {
      const res = await medic.get<Envelope<{ items: { kill_id: string; report_signed_by: string | null }[] }>>('/decisions');
      return res.body.data.items.length >= 2 ? res.body.data.items : undefined;
    }, 'both decisions on REST');
    expect(decisions.map((d) => [d.kill_id, d.report_signed_by]).sort()).toEqual([
      ['signed-1', 'smith-prod'],
      ['signed-2', 'smith-prod'],
    ]);
  });

  it('refuses to sign with a key that is not Ed25519, or half the options, as a usage error', async () => {
    await expect(medicCli(['smith', 'kill', 'x', '--sign-key', join(dir, 'rsa.pem'), '--key-id', 'k'], { env: cliEnv(medic) })).rejects.toMatchObject({ code: 2, stderr: expect.stringMatching(/is a rsa key; an Ed25519 key is needed/) });
    await expect(medicCli(['smith', 'kill', 'x', '--sign-key', join(dir, 'smith.pem')], { env: cliEnv(medic) })).rejects.toMatchObject({ code: 2, stderr: expect.stringMatching(/--sign-key and --key-id go together/) });
  });
});
