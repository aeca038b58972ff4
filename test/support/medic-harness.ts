import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel, type Producer } from 'kafkajs';
import { Client } from 'pg';
import { stringify } from 'yaml';
import { answersOk, freePort, spawnService, waitFor, type MedicServiceName, type ServiceProcess } from '@medic/devstack';

/**
 * Runs real Medic services (built, as child processes) against the test run's
 * Kafka and Postgres, isolated by name: topics, consumer groups and a database
 * of their own, so test files never see each other's data.
 */
export interface MedicUnderTest {
  readonly id: string;
  readonly brokers: string;
  readonly databaseUrl: string;
  readonly topics: {
    readonly smith: string;
    readonly dlq: string;
    readonly kill: string;
    readonly commands: string;
    readonly control: string;
    readonly internalDlq: string;
  };
  readonly api: { readonly url: string; readonly key: string };
  readonly kafka: Kafka;
  readonly logDir: string;
  service(name: MedicServiceName): ServiceProcess;
  /** Where a started service serves Prometheus metrics. */
  metricsUrl(name: MedicServiceName): string;
  /** Starts (or starts again) a service; `extraEnv` is for that process only, e.g. MEDIC_CRASH_POINTS. */
  start(name: MedicServiceName, extraEnv?: NodeJS.ProcessEnv): Promise<ServiceProcess>;
  /** Publishes raw bytes to Smith's topic, as Smith would. */
  publishRaw(value: Buffer | string, key?: string): Promise<void>;
  /** GET on the gateway with the test's API key; returns status and parsed body. */
  get<T = unknown>(path: string, headers?: Record<string, string>): Promise<{ status: number; body: T }>;
  /** Any request on the gateway, as the test's admin key or as one of `apiKeys` by name. */
  call<T = unknown>(method: string, path: string, opts?: { as?: string; body?: unknown; headers?: Record<string, string> }): Promise<{ status: number; body: T; headers: Headers }>;
  stop(): Promise<void>;
}

export interface HarnessOptions {
  readonly services: readonly MedicServiceName[];
  /** YAML config overrides (spec key paths), merged under the test's own topic names. */
  readonly config?: Record<string, unknown>;
  readonly partitions?: number;
  /** API keys besides the test's admin key, by name (their secrets are made up here). */
  readonly apiKeys?: readonly { readonly name: string; readonly role: 'viewer' | 'operator' | 'admin' }[];
  /** The Postgres server the test's database is made on (its URL's parameters kept); default: the run's. */
  readonly databaseServer?: string;
}

export function testInfra(): { brokers: string; databaseUrl: string } {
  const brokers = process.env.MEDIC_TEST_KAFKA_BROKERS;
  const databaseUrl = process.env.MEDIC_TEST_DATABASE_URL;
  if (!brokers || !databaseUrl) throw new Error('MEDIC_TEST_KAFKA_BROKERS / MEDIC_TEST_DATABASE_URL are not set: run through jest (global setup starts them)');
  return { brokers, databaseUrl };
}

/** A database of its own on the test server: a whole-service state reset per test file. */
export async function createTestDatabase(serverUrl: string, name: string): Promise<string> {
  const client = new Client({ connectionString: serverUrl });
  await client.connect();
  try {
    await client.query(`CREATE DATABASE ${name}`);
  } finally {
    await client.end();
  }
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

export async function startMedic(opts: HarnessOptions): Promise<MedicUnderTest> {
  const infra = testInfra();
  const id = `t${randomBytes(5).toString('hex')}`;
  const databaseUrl = await createTestDatabase(opts.databaseServer ?? infra.databaseUrl, `medic_${id}`);
  const topics = {
    smith: `${id}.smith.kills`,
    dlq: `${id}.dlq.kills`,
    kill: `${id}.kill.events`,
    commands: `${id}.kill.commands`,
    control: `${id}.control.events`,
    internalDlq: `${id}.dlq.internal`,
  };
  const dir = mkdtempSync(join(tmpdir(), `medic-${id}-`));
  const apiKey = `test_${randomBytes(16).toString('hex')}`;
  const keys = new Map<string, string>([['test', apiKey], ...(opts.apiKeys ?? []).map((k) => [k.name, `test_${randomBytes(16).toString('hex')}`] as const)]);
  const roles = new Map<string, string>([['test', 'admin'], ...(opts.apiKeys ?? []).map((k) => [k.name, k.role] as const)]);
  const sha256 = (v: string) => createHash('sha256').update(v).digest('hex');
  const apiPort = await freePort();
  const configPath = join(dir, 'medic.yaml');
  writeFileSync(configPath, stringify(configFor(id, topics, opts)));

  // What the tests read of the log is what Medic's services read: only what was committed.
  const kafka = new Kafka({ clientId: `${id}-test`, brokers: infra.brokers.split(','), logLevel: logLevel.NOTHING });
  const producer: Producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({
    waitForLeaders: true,
    topics: Object.values(topics).map((topic) => ({ topic, numPartitions: opts.partitions ?? 3, configEntries: [{ name: 'retention.ms', value: '-1' }] })),
  });
  await admin.disconnect();

  const services = new Map<MedicServiceName, ServiceProcess>();
  const ports = new Map<MedicServiceName, number>();
  const env = (port: number): NodeJS.ProcessEnv => ({
    MEDIC_CONFIG_PATH: configPath,
    KAFKA_BROKERS: infra.brokers,
    DATABASE_URL: databaseUrl,
    MEDIC_API_PORT: String(apiPort),
    MEDIC_METRICS_PORT: String(port),
    MEDIC_API_KEYS: [...keys].map(([name, secret]) => `${name}:${roles.get(name)}:${sha256(secret)}`).join(','),
  });
  // HTTPS when the test's config gives the gateway a certificate (its own requests then go through a client of the test's).
  const https = (opts.config as { interfaces?: { web?: { tls?: { cert_file?: unknown } } } } | undefined)?.interfaces?.web?.tls?.cert_file != null;
  const apiUrl = `${https ? 'https' : 'http'}://127.0.0.1:${apiPort}/api/v1`;

  const harness: MedicUnderTest = {
    id,
    brokers: infra.brokers,
    databaseUrl,
    topics,
    api: { url: apiUrl, key: apiKey },
    kafka,
    logDir: dir,
    service(name) {
      const s = services.get(name);
      if (!s) throw new Error(`${name} was not started`);
      return s;
    },
    metricsUrl(name) {
      return name === 'gateway' ? new URL('/metrics', apiUrl).href : `http://127.0.0.1:${ports.get(name) ?? 0}/metrics`;
    },
    async start(name, extraEnv = {}) {
      const port = ports.get(name) ?? (name === 'gateway' ? apiPort : await freePort());
      ports.set(name, port);
      const proc = spawnService({ name, env: { ...env(port), ...extraEnv }, logDir: dir });
      services.set(name, proc);
      await waitReady(proc, name === 'gateway' ? `${apiUrl}/health` : `http://127.0.0.1:${port}/ready`);
      return proc;
    },
    async publishRaw(value, key) {
      await producer.send({ topic: topics.smith, messages: [{ key: key ?? null, value: typeof value === 'string' ? Buffer.from(value) : value }] });
    },
    async get<T>(path: string, headers: Record<string, string> = { 'X-API-Key': apiKey }) {
      const res = await fetch(`${apiUrl}${path}`, { headers });
      return { status: res.status, body: (await res.json()) as T };
    },
    async call<T>(method: string, path: string, o: { as?: string; body?: unknown; headers?: Record<string, string> } = {}) {
      const secret = keys.get(o.as ?? 'test');
      if (!secret) throw new Error(`no API key named ${o.as}`);
      const res = await fetch(`${apiUrl}${path}`, {
        method,
        headers: { 'X-API-Key': secret, ...(o.body !== undefined ? { 'Content-Type': 'application/json' } : {}), ...o.headers },
        ...(o.body !== undefined ? { body: JSON.stringify(o.body) } : {}),
      });
      return { status: res.status, body: (await res.json()) as T, headers: res.headers };
    },
    async stop() {
      await Promise.all([...services.values()].map((s) => s.stop()));
      await producer.disconnect();
    },
  };
  for (const name of opts.services) await harness.start(name);
  return harness;
}

function configFor(id: string, topics: MedicUnderTest['topics'], opts: HarnessOptions): Record<string, unknown> {
  const base: Record<string, unknown> = {
    smith: {
      event_bus: { topic: topics.smith, dlq_topic: topics.dlq, consumer_group: `${id}-listener` },
      // The gateway shows the veto answers' dead letters: each test has its own.
      veto_protocol: { request_topic: `${id}.smith.veto`, dlq_topic: `${id}.dlq.veto` },
    },
    kafka: {
      topics: { kill_events: topics.kill, kill_commands: topics.commands, control_events: topics.control, internal_dlq: topics.internalDlq },
      consumer: { group_prefix: id, session_timeout_ms: 6000 },
    },
  };
  return deepMerge(base, opts.config ?? {});
}

function deepMerge(a: Record<string, unknown>, b: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...a };
  for (const [k, v] of Object.entries(b)) {
    const prev = out[k];
    out[k] = isObject(prev) && isObject(v) ? deepMerge(prev, v) : v;
  }
  return out;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * A service listens on its HTTP port only once its log workers have started
 * (the gateway's: a dozen projections, each joining its consumer group). On
 * a busy host the gateway once had not started after a minute.
 */
async function waitReady(proc: ServiceProcess, url: string): Promise<void> {
  await waitFor(
    () => answersOk(url, 5_000),
    {
      timeoutMs: 120_000,
      intervalMs: 100,
      abort: () => (proc.isRunning() ? undefined : new Error(`${proc.name} exited during start-up; see ${proc.logFile}`)),
      onTimeout: (last) => new Error(`${proc.name} did not start in time (${last}); see ${proc.logFile}`),
    },
  );
}

/** Polls until `probe` returns a value (not undefined), or fails with what it last saw. */
export async function eventually<T>(probe: () => Promise<T | undefined>, what: string, timeoutMs = 30_000): Promise<T> {
  return waitFor(
    async () => {
      const v = await probe();
      if (v === undefined) throw new Error(`not yet: ${what}`);
      return v;
    },
    { timeoutMs, intervalMs: 100, onTimeout: (last) => new Error(`timed out waiting for ${what} (${last})`) },
  );
}
