import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { closeSync, existsSync, fstatSync, openSync, writeSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { run } from './commands';
import { DevstackError } from './errors';
import { javaCommand, javaMissing } from './java';
import { jvmArgs, log4jProperties, serverProperties, type BrokerConfig } from './kafka-config';
import { ensureKafkaJars, type KafkaJars } from './kafka-jars';
import { kafkaAnswers, probeKafka } from './kafka-probe';
import { firstError, tailOf, textSince } from './log-file';
import { attemptPorts } from './ports';
import { exitOf, guardAgainstOrphans, hasExited, stopChild, type OrphanGuard } from './processes';
import { repoRoot } from './repo';
import { type ExitStatus } from './stack-state';
import { type DevstackOptions, type KafkaHandle, type KafkaJit, type RestartableServer } from './types';
import { secondsSince, waitFor } from './wait';

const READY_TIMEOUT_MS = 120_000;
const FORMAT_TIMEOUT_MS = 120_000;
// Controlled shutdown of a single node takes a few seconds; past this it is stuck.
const STOP_GRACE_MS = 30_000;
const START_ATTEMPTS = 3;

interface BrokerFiles {
  readonly dataDir: string;
  readonly properties: string;
  readonly log4j: string;
  readonly log: string;
}

interface Broker {
  readonly child: ChildProcess;
  readonly pid: number;
  readonly exited: Promise<ExitStatus>;
  readonly guard: OrphanGuard;
  /** Where this start attempt's output begins in the (appended) log file. */
  readonly logOffset: number;
}

interface StartHooks {
  /** Asked right before spawning: false once the stack is being stopped. */
  readonly wanted?: () => boolean;
  /** Told as soon as the process exists, so a stop during start-up reaches it. */
  readonly spawned?: (broker: Broker) => void;
}

/** Starts a single-node KRaft broker on free ports under `<workDir>/kafka`, ready for transactions. */
export async function startKafka(opts: DevstackOptions): Promise<KafkaHandle> {
  const log = opts.log ?? (() => undefined);
  const startedAt = Date.now();
  const jars = await ensureKafkaJars(opts.cacheDir ?? join(repoRoot(), '.cache'), log);
  const files = await prepareFiles(resolve(opts.workDir, 'kafka'));
  const jit = opts.kafkaJit ?? 'quick';
  for (let attempt = 1; ; attempt += 1) {
    const secured = opts.kafkaSecured;
    const port = attemptPorts(opts.workDir, attempt, log);
    const ports = { client: await port('kafka', true), controller: await port('kafka-controller'), ...(secured ? { secured: await port('kafka-secured') } : {}) };
    const config: BrokerConfig = { ports, dataDir: files.dataDir, partitions: opts.kafkaPartitions ?? 3, ...(secured ? { secured } : {}) };
    try {
      const broker = await startBroker(jars, files, config, jit);
      const handle = kafkaHandle(broker, config, files.log, (hooks) => startBroker(jars, files, config, jit, hooks));
      log(`kafka: ${jars.version} ready on ${handle.brokers} in ${secondsSince(startedAt)} (log: ${files.log})`);
      return handle;
    } catch (error) {
      if (attempt >= START_ATTEMPTS || !isPortClash(error)) throw error;
      log('kafka: another process took a port before the broker bound it; retrying on new ports');
    }
  }
}

/** One handle for the life of the stack: a restart replaces the broker process behind it, on the same ports. */
function kafkaHandle(first: Broker, config: BrokerConfig, logFile: string, startAgain: (hooks: StartHooks) => Promise<Broker>): KafkaHandle {
  let broker = first;
  let stopping: Promise<void> | undefined;
  const server: RestartableServer = {
    logFile,
    current: () => ({ pid: broker.pid, exited: broker.exited }),
    restart: async () => {
      if (!hasExited(broker.child)) throw new DevstackError('KAFKA_EXITED', `the broker (pid ${broker.pid}) is still running`);
      await startAgain({ wanted: () => stopping === undefined, spawned: (next) => (broker = next) });
    },
    answers: (timeoutMs) => kafkaAnswers([brokersOf(config)], timeoutMs),
  };
  const securedBrokers = config.ports.secured === undefined ? null : `127.0.0.1:${config.ports.secured}`;
  return { brokers: brokersOf(config), securedBrokers, server, stop: () => (stopping ??= stopBroker(broker)) };
}

function brokersOf(config: BrokerConfig): string {
  return `127.0.0.1:${config.ports.client}`;
}

async function prepareFiles(dir: string): Promise<BrokerFiles> {
  const files = {
    dataDir: join(dir, 'data'),
    properties: join(dir, 'server.properties'),
    log4j: join(dir, 'log4j.properties'),
    log: join(dir, 'broker.log'),
  };
  await mkdir(files.dataDir, { recursive: true });
  await writeFile(files.log4j, log4jProperties());
  return files;
}

async function startBroker(jars: KafkaJars, files: BrokerFiles, config: BrokerConfig, jit: KafkaJit, hooks: StartHooks = {}): Promise<Broker> {
  await writeFile(files.properties, serverProperties(config));
  await formatStorage(jars, files);
  if (hooks.wanted && !hooks.wanted()) throw new DevstackError('KAFKA_EXITED', 'Kafka is being stopped; not starting it again');
  const broker = await spawnBroker(jars, files, jit);
  hooks.spawned?.(broker);
  try {
    await waitUntilReady(brokersOf(config), broker, files.log);
  } catch (error) {
    await stopBroker(broker);
    throw error;
  }
  return broker;
}

/** Skipped when an earlier run of this workDir formatted it, so its topics survive a restart. */
async function formatStorage(jars: KafkaJars, files: BrokerFiles): Promise<void> {
  if (existsSync(join(files.dataDir, 'meta.properties'))) return;
  const args = [...jvmArgs(jars.libs, files.log4j), 'kafka.tools.StorageTool', 'format'];
  args.push('--cluster-id', randomClusterId(), '--config', files.properties, '--ignore-formatted');
  await run(javaCommand(), args, { timeoutMs: FORMAT_TIMEOUT_MS }, ({ missing, output }) =>
    missing ? javaMissing() : new DevstackError('KAFKA_FORMAT_FAILED', `Kafka could not format ${files.dataDir}: ${output}`),
  );
}

/** Kafka's Uuid text form: 16 random bytes, base64url. A leading '-' would read as a CLI flag. */
function randomClusterId(): string {
  for (;;) {
    const id = randomBytes(16).toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}

async function spawnBroker(jars: KafkaJars, files: BrokerFiles, jit: KafkaJit): Promise<Broker> {
  const out = openSync(files.log, 'a');
  writeSync(out, `\n----- medic devstack: broker starting ${new Date().toISOString()} -----\n`);
  const logOffset = fstatSync(out).size;
  const args = [...jvmArgs(jars.libs, files.log4j, jit), 'kafka.Kafka', files.properties];
  // The log file, not a pipe: a pipe nobody drains would stall the broker, and our stdout stays clean.
  const child = spawn(javaCommand(), args, { stdio: ['ignore', out, out] });
  closeSync(out);
  const pid = child.pid;
  if (pid === undefined) {
    const [error] = (await once(child, 'error')) as [NodeJS.ErrnoException];
    throw error.code === 'ENOENT' ? javaMissing() : error;
  }
  // Later errors (a signal that cannot be delivered) are handled by stop(); unheard they would crash Node.
  child.on('error', () => undefined);
  const guard = guardAgainstOrphans(pid, 'SIGTERM', () => child.kill('SIGTERM'));
  const exited = exitOf(child, guard);
  return { child, pid, exited, logOffset, guard };
}

async function stopBroker({ child, guard }: Broker): Promise<void> {
  await stopChild(child, 'SIGTERM', STOP_GRACE_MS);
  guard.release();
}

function waitUntilReady(brokers: string, broker: Broker, logFile: string): Promise<void> {
  return waitFor(() => probeKafka(brokers), {
    timeoutMs: READY_TIMEOUT_MS,
    abort: () => (hasExited(broker.child) ? exitedEarly(broker, logFile) : undefined),
    onTimeout: (lastError) =>
      new DevstackError(
        'KAFKA_NOT_READY',
        `Kafka broker on ${brokers} was not ready after ${READY_TIMEOUT_MS / 1000}s (last probe: ${lastError}).` +
          logExcerpt(broker, logFile),
      ),
  });
}

function exitedEarly(broker: Broker, logFile: string): DevstackError {
  const how = broker.child.signalCode ?? `code ${String(broker.child.exitCode)}`;
  const portTaken = textSince(logFile, broker.logOffset).includes('Address already in use');
  return new DevstackError('KAFKA_EXITED', `Kafka broker exited (${how}) before it was ready.${logExcerpt(broker, logFile)}`, portTaken);
}

function logExcerpt(broker: Broker, logFile: string): string {
  const cause = firstError(textSince(logFile, broker.logOffset));
  return `${cause ? `\nFirst error:\n${cause}` : ''}\nLast lines of ${logFile}:\n${tailOf(logFile)}`;
}

function isPortClash(error: unknown): boolean {
  return error instanceof DevstackError && error.code === 'KAFKA_EXITED' && error.retriable;
}
