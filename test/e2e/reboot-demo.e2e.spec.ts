import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import Docker from 'dockerode';
import { freePort } from '@medic/devstack';
import { createTestDatabase, eventually, killReport, smithMessage, testInfra } from '@medic/testing';

const run = promisify(execFile);
const CLI = join(__dirname, '../../dist/apps/cli/src/main.js');

interface Endpoints {
  kafka: { brokers: string };
  api: { url: string; key: string };
  docker?: { socket: string };
}

/*
 * The reboot plan's success demo, as the README tells it: `medic up` with a demo target, Smith's
 * kill report produced with kcat, and Medic bringing the container back, watching it and
 * recording the outcome — all read back over REST and from the log.
 */
describe("the reboot plan's demo through medic up and kcat", () => {
  let up: ChildProcess;
  let output = '';
  const home = mkdtempSync(join(tmpdir(), 'medic-demo-'));
  let env: NodeJS.ProcessEnv;
  let endpoints: Endpoints;

  beforeAll(async () => {
    chmodSync(home, 0o711);
    // A short watch, so that the demo's outcome comes within the test.
    const config = join(home, 'medic.yaml');
    writeFileSync(config, 'resurrection:\n  monitoring_duration_minutes: 0.1\n  health_check_interval_seconds: 1\n  rekill_window_minutes: 0\n');
    env = {
      ...process.env,
      MEDIC_HOME: home,
      MEDIC_CONFIG_PATH: config,
      // A database of its own: positions kept in another one belong to another test's broker.
      DATABASE_URL: await createTestDatabase(testInfra().databaseUrl, `demo_${Date.now()}`),
      MEDIC_API_PORT: String(await freePort()),
      MEDIC_MODE: 'semi_auto',
      MEDIC_AUTO_APPROVE: 'true',
    };
    delete env.DOCKER_HOST;
    up = spawn(process.execPath, [CLI, 'up', '--no-siem', '--demo-target', 'nginx-test'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    up.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    up.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const file = join(home, 'endpoints.json');
    endpoints = await eventually(
      () => Promise.resolve(existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Endpoints) : undefined),
      `medic up to write ${file}`,
      180_000,
    );
  });
  afterAll(async () => {
    if (up.exitCode !== null) return;
    const exited = new Promise((resolve) => up.once('exit', resolve));
    up.kill('SIGTERM');
    await exited;
  });

  const api = async <T>(path: string): Promise<T> => {
    const res = await fetch(`${endpoints.api.url}${path}`, { headers: { 'X-API-Key': endpoints.api.key } });
    return ((await res.json()) as { data: T }).data;
  };

  it('brings the killed container back, watches it and records the outcome with its real time to healthy', async () => {
    expect(output).toMatch(/demo target nginx-test: container [0-9a-f]{12} created and started \(label medic\.module=nginx-test/);
    const docker = new Docker({ socketPath: endpoints.docker!.socket });
    const container = docker.getContainer('nginx-test');
    const before = await container.inspect();
    expect(before.State.Running).toBe(true);
    expect(before.Config.Labels).toMatchObject({ 'medic.module': 'nginx-test' });

    // Smith kills it, and reports the kill with kcat.
    await container.stop({ t: 1 });
    const killId = `demo-${Date.now()}`;
    // The reboot plan's demo kill (anomaly_behavior, low, Smith 0.4), as the README's JSON line.
    const line = smithMessage(killReport({ kill_id: killId, target_module: 'nginx-test', timestamp: new Date().toISOString() }));
    const kcat = spawn('kcat', ['-P', '-b', endpoints.kafka.brokers, '-t', 'smith.events.kill_notifications', '-k', killId], { stdio: ['pipe', 'ignore', 'pipe'] });
    let kcatErrors = '';
    kcat.stderr.on('data', (chunk: Buffer) => (kcatErrors += chunk.toString()));
    kcat.stdin.end(`${line}\n`);
    expect(await new Promise((resolve) => kcat.once('exit', resolve))).toBe(0);
    expect(kcatErrors).toBe('');

    // Restarted: StartedAt moves on.
    const after = await eventually(async () => {
      const now = await container.inspect();
      return now.State.Running && now.State.StartedAt > before.State.StartedAt ? now : undefined;
    }, `nginx-test running again (medic up said: ${output.slice(-2000)})`, 60_000);
    expect(Date.parse(after.State.StartedAt)).toBeGreaterThan(Date.parse(before.State.StartedAt));

    // Watched, then the outcome, with a real time to stable.
    type Outcome = { kill_id: string; result: string; time_to_stable: number | null; request_id: string; post_resurrection_metrics: Record<string, unknown> };
    const outcome = await eventually(async () => (await api<{ items: Outcome[] }>(`/outcomes?module=nginx-test`)).items.find((o) => o.kill_id === killId), 'the outcome of the demo kill', 90_000);
    expect(outcome.result).toBe('success');
    expect(Number.isInteger(outcome.time_to_stable)).toBe(true);
    expect(outcome.time_to_stable).toBeGreaterThan(0);
    expect(outcome.time_to_stable).toBeLessThan(60);

    const decisions = await api<{ items: { kill_id: string; decision_id: string; outcome: string; reasoning: string[] }[] }>('/decisions?module=nginx-test');
    const decision = decisions.items.find((d) => d.kill_id === killId);
    expect(decision).toMatchObject({ outcome: 'approve_auto' });
    // The request as spec 2.4 has it.
    const resurrection = await api<Record<string, unknown>>(`/resurrections/${outcome.request_id}`);
    expect(resurrection).toMatchObject({
      kill_id: killId,
      decision_id: decision!.decision_id,
      status: 'completed',
      container_id: before.Id,
      approved_by: 'policy:auto-approve',
      approved_at: expect.any(String) as unknown,
      executed_at: expect.any(String) as unknown,
      completed_at: expect.any(String) as unknown,
      monitoring_duration_minutes: 0.1,
      health_checks: ['container state'],
    });
    const stats = await api<{ total: number; success_rate: number; per_module: { module: string; total: number }[] }>('/outcomes/stats?module=nginx-test');
    expect(stats).toMatchObject({ total: 1, success_rate: 1 });
    expect(stats.per_module).toEqual([expect.objectContaining({ module: 'nginx-test', total: 1 })]);

    // The decision and everything after it, from the log.
    const audit = await run(process.execPath, [CLI, 'replay', 'audit', killId], { env: { ...env, DATABASE_URL: '' } });
    for (const step of ['KillReported', 'DecisionMade', 'ResurrectionStarted', 'ResurrectionSucceeded', 'StabilityConfirmed', 'OutcomeRecorded']) expect(audit.stdout).toContain(step);
  });
});
