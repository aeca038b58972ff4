import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Kafka, logLevel } from 'kafkajs';
import { freePort } from '@medic/devstack';
import { eventually, killReport, smithMessage, testInfra } from '@medic/testing';

const run = promisify(execFile);
const CLI = join(__dirname, '../../dist/apps/cli/src/main.js');

interface Endpoints {
  kafka: { brokers: string };
  api: { url: string; key: string };
  postgres: { url: string };
}

describe('medic up', () => {
  let up: ChildProcess;
  let output = '';
  const home = mkdtempSync(join(tmpdir(), 'medic-up-'));
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    // Postgres comes from the test run's server (DATABASE_URL), Kafka is started by `medic up` itself.
    env = { ...process.env, MEDIC_HOME: home, DATABASE_URL: testInfra().databaseUrl, MEDIC_API_PORT: String(await freePort()), MEDIC_MODE: 'manual' };
    up = spawn(process.execPath, [CLI, 'up'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    up.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    up.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  });
  afterAll(() => {
    if (up.exitCode === null) up.kill('SIGKILL');
  });

  it('starts the stack and every service, prints where they are and writes .medic/endpoints.json', async () => {
    const file = join(home, 'endpoints.json');
    const endpoints = await eventually(
      () => Promise.resolve(existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Endpoints) : undefined),
      `medic up to write ${file} (output so far: ${output})`,
      180_000,
    );
    expect(endpoints.kafka.brokers).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(endpoints.api.url).toBe(`http://127.0.0.1:${env.MEDIC_API_PORT}/api/v1`);
    expect(endpoints.postgres.url).toBe(env.DATABASE_URL);
    expect(output).toContain('Medic is up.');
    expect(output).toContain(endpoints.api.key);

    const health = await fetch(`${endpoints.api.url}/health`);
    expect(health.status).toBe(200);

    // A kill published by hand is decided under the mode given through MEDIC_MODE.
    const kafka = new Kafka({ brokers: [endpoints.kafka.brokers], logLevel: logLevel.NOTHING });
    const producer = kafka.producer();
    await producer.connect();
    const report = killReport();
    await producer.send({ topic: 'smith.events.kill_notifications', messages: [{ key: report.kill_id, value: smithMessage(report) }] });
    await producer.disconnect();
    const decision = await eventually(async () => {
      const res = await fetch(`${endpoints.api.url}/decisions`, { headers: { 'X-API-Key': endpoints.api.key } });
      const body = (await res.json()) as { data: { items: { kill_id: string; outcome: string; mode: string }[] } };
      return body.data.items.find((d) => d.kill_id === report.kill_id);
    }, 'the decision');
    expect(decision).toMatchObject({ outcome: 'pending_review', mode: 'manual' });

    // The replay commands find the running stack through the endpoints file.
    const audit = await run(process.execPath, [CLI, 'replay', 'audit', report.kill_id], { env: { ...env, DATABASE_URL: '' } });
    expect(audit.stdout).toMatch(/DecisionMade\s+pending_review/);
  });

  it('stops everything cleanly on SIGTERM', async () => {
    const exited = new Promise<number | null>((resolve) => up.once('exit', (code) => resolve(code)));
    up.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(output).toContain('Medic stopped.');
    expect(existsSync(join(home, 'endpoints.json'))).toBe(false);
    await expect(fetch(`http://127.0.0.1:${env.MEDIC_API_PORT}/api/v1/health`)).rejects.toThrow();
  });

  it('refuses a bad configuration with a message naming the key and a non-zero exit', async () => {
    await expect(run(process.execPath, [CLI, 'up'], { env: { ...env, MEDIC_MODE: 'yolo' } })).rejects.toMatchObject({
      code: 2,
      stderr: expect.stringMatching(/MEDIC_MODE/),
    });
    await expect(run(process.execPath, [CLI, 'frobnicate'], { env })).rejects.toMatchObject({ code: 2, stderr: expect.stringMatching(/unknown command/) });
  });
});
