import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { closeSync, fstatSync, openSync, readFileSync, writeSync } from 'node:fs';
import { cp, mkdir, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { run } from './commands';
import { DevstackError } from './errors';
import { elasticsearchYml, jvmOptions } from './elasticsearch-config';
import { elasticsearchJavaHome, ensureElasticsearch, type ElasticsearchDist } from './elasticsearch-dist';
import { tailOf, textSince } from './log-file';
import { ensureSystemUser, openPathFor, runningAsRoot, type OsUser } from './os-user';
import { attemptPorts } from './ports';
import { exitStatusOf, guardAgainstOrphans, hasExited, isAlive, stopChild, type OrphanGuard } from './processes';
import { repoRoot } from './repo';
import { type DevstackOptions, type KafkaJit, type RestartableServer, type ServerRun } from './types';
import { answersHttp, secondsSince, waitFor } from './wait';

export interface ElasticsearchHandle {
  /** http://127.0.0.1:<port>, no authentication (security is off in the dev stack). */
  readonly url: string;
  /** The node's launcher; a restart keeps the HTTP port and the data, so `url` stays right. */
  readonly server: RestartableServer;
  stop(): Promise<void>;
}

/** One run of the node. */
interface NodeRun {
  readonly url: string;
  readonly run: ServerRun;
  stop(): Promise<void>;
}

export type ElasticsearchOptions = DevstackOptions & {
  /** Maximum JVM heap in MiB (default 512); the initial heap is the smaller of it and 256. */
  readonly elasticsearchHeapMb?: number;
  /**
   * The node's JIT, as for the broker (`kafkaJit`): `quick` (default) is C1 only, which halves
   * the start on a busy 2-core machine; `standard` (C1 + C2) suits a sustained load.
   */
  readonly elasticsearchJit?: KafkaJit;
  /**
   * HTTP on this port instead of a free one: a node started again on the same workDir keeps
   * its URL as well as its indices, as clients configured with the first URL expect.
   */
  readonly elasticsearchHttpPort?: number;
};

/** Elasticsearch refuses to run as root, so as root it runs as this system user. */
export const ELASTICSEARCH_USER = 'medic-es';

const DEFAULT_HEAP_MB = 512;
const READY_TIMEOUT_MS = 180_000;
// A node flushes and closes its shards on SIGTERM; a few seconds in the dev stack.
const STOP_GRACE_MS = 30_000;
const START_ATTEMPTS = 3;

interface NodeFiles {
  readonly dir: string;
  readonly config: string;
  readonly data: string;
  readonly logs: string;
  readonly tmp: string;
  /** The launcher's stdout and stderr: the node's console log and any start-up failure. */
  readonly log: string;
  /** Written by the node itself (`-p`), so we know the server JVM under the launcher. */
  readonly pid: string;
}

interface EsNode {
  /** The launcher JVM (bin/elasticsearch); it starts the server JVM and stops it on SIGTERM. */
  readonly child: ChildProcess;
  readonly guard: OrphanGuard;
  readonly logOffset: number;
}

/**
 * Starts a single-node Elasticsearch (security off, HTTP on 127.0.0.1 on a free port) with
 * its config, data and logs under `<workDir>/elasticsearch`, and resolves once the cluster is
 * at least yellow. The same workDir keeps its indices across restarts.
 */
export async function startElasticsearch(opts: ElasticsearchOptions): Promise<ElasticsearchHandle> {
  const log = opts.log ?? (() => undefined);
  const startedAt = Date.now();
  const workDir = resolve(opts.workDir);
  const cacheDir = resolve(opts.cacheDir ?? join(repoRoot(), '.cache'));
  const dist = await ensureElasticsearch(cacheDir, log);
  const javaHome = elasticsearchJavaHome();
  const files = nodeFiles(join(workDir, 'elasticsearch'));
  const user = runningAsRoot() ? await ensureSystemUser(ELASTICSEARCH_USER, 'Elasticsearch', 'ELASTICSEARCH_START_FAILED') : undefined;
  await prepareFiles(dist, files, jvmOptions(opts.elasticsearchHeapMb ?? DEFAULT_HEAP_MB, opts.elasticsearchJit ?? 'quick'));
  if (user) await handOver(user, files, { workDir, dist, cacheDir });
  for (let attempt = 1; ; attempt += 1) {
    try {
      const port = attemptPorts(workDir, attempt, log);
      const ports = { http: opts.elasticsearchHttpPort ?? (await port('elasticsearch', true)), transport: await port('elasticsearch-transport') };
      let node = await startNode(dist, javaHome, files, user, ports);
      const as = user ? ` as ${user.name}` : '';
      log(`elasticsearch: ${dist.version} ready on ${node.url}${as} in ${secondsSince(startedAt)} (log: ${files.log})`);
      let stopping: Promise<void> | undefined;
      const server: RestartableServer = {
        logFile: files.log,
        current: () => node.run,
        restart: async () => {
          if (stopping) throw new DevstackError('ELASTICSEARCH_START_FAILED', 'the node is being stopped');
          node = await startNode(dist, javaHome, files, user, ports);
        },
        // Any HTTP answer: a red or busy cluster is not a hung node.
        answers: (timeoutMs) => answersHttp(`${node.url}/_cluster/health`, timeoutMs),
      };
      return { url: node.url, server, stop: () => (stopping ??= node.stop()) };
    } catch (error) {
      if (attempt >= START_ATTEMPTS || !isPortClash(error) || opts.elasticsearchHttpPort !== undefined) throw error;
      log('elasticsearch: another process took a port before the node bound it; retrying on new ports');
    }
  }
}

function nodeFiles(dir: string): NodeFiles {
  return {
    dir,
    config: join(dir, 'config'),
    data: join(dir, 'data'),
    logs: join(dir, 'logs'),
    tmp: join(dir, 'tmp'),
    log: join(dir, 'elasticsearch.log'),
    pid: join(dir, 'elasticsearch.pid'),
  };
}

/**
 * A config folder of our own (ES_PATH_CONF): the node writes its keystore there, and the
 * cached distribution stays read-only and shared. Refreshed from the distribution on every
 * start; elasticsearch.yml is written per attempt because it holds the ports.
 */
async function prepareFiles(dist: ElasticsearchDist, files: NodeFiles, options: string): Promise<void> {
  for (const dir of [files.config, files.data, files.logs, files.tmp]) await mkdir(dir, { recursive: true });
  await cp(join(dist.home, 'config'), files.config, { recursive: true, force: true });
  await mkdir(join(files.config, 'jvm.options.d'), { recursive: true });
  await writeFile(join(files.config, 'jvm.options.d', 'medic-devstack.options'), options);
}

/** As root: the node's user owns its folder and can reach it and the cached distribution. */
async function handOver(user: OsUser, files: NodeFiles, where: { workDir: string; dist: ElasticsearchDist; cacheDir: string }): Promise<void> {
  await run('chown', ['-R', `${user.uid}:${user.gid}`, files.dir], { timeoutMs: 60_000 }, ({ output }) =>
    new DevstackError('ELASTICSEARCH_START_FAILED', `could not hand ${files.dir} to user ${user.name}: ${output}`),
  );
  await openPathFor(user, files.dir, where.workDir, 'Elasticsearch');
  await openPathFor(user, join(where.dist.home, 'bin', 'elasticsearch'), where.cacheDir, 'Elasticsearch');
}

/** Starts the node on `ports`: a restart passes the ports of the run before, so its address stays right. */
async function startNode(dist: ElasticsearchDist, javaHome: string, files: NodeFiles, user: OsUser | undefined, ports: { readonly http: number; readonly transport: number }): Promise<NodeRun> {
  await writeFile(join(files.config, 'elasticsearch.yml'), elasticsearchYml({ ports, dataDir: files.data, logsDir: files.logs }));
  const node = await spawnNode(dist, javaHome, files, user);
  let stopping: Promise<void> | undefined;
  const exited = exitStatusOf(node.child);
  const handle: NodeRun = {
    url: `http://127.0.0.1:${ports.http}`,
    run: {
      pid: node.child.pid!,
      exited,
      // The server JVM too: a launcher killed outright leaves it to notice and stop, which a frozen one never does.
      killOutright: () => {
        const server = serverPid(files);
        if (server !== undefined) signal(server, 'SIGKILL');
        signal(node.child.pid!, 'SIGKILL');
      },
    },
    stop: () => (stopping ??= stopNode(node, files)),
  };
  try {
    await waitUntilReady(handle.url, node, files.log);
  } catch (error) {
    await handle.stop();
    throw error;
  }
  return handle;
}

async function spawnNode(dist: ElasticsearchDist, javaHome: string, files: NodeFiles, user: OsUser | undefined): Promise<EsNode> {
  // A node that crashed leaves its pid file behind; stop() must never act on a pid from then.
  await rm(files.pid, { force: true });
  const out = openSync(files.log, 'a');
  writeSync(out, `\n----- medic devstack: elasticsearch starting ${new Date().toISOString()} -----\n`);
  const logOffset = fstatSync(out).size;
  // The log file, not a pipe: a pipe nobody drains would stall the node, and our stdout stays clean.
  const child = spawn(join(dist.home, 'bin', 'elasticsearch'), ['-p', files.pid], {
    cwd: files.dir,
    env: nodeEnv(javaHome, files),
    stdio: ['ignore', out, out],
    ...(user ? { uid: user.uid, gid: user.gid } : {}),
  });
  closeSync(out);
  const pid = child.pid;
  if (pid === undefined) {
    const [error] = (await once(child, 'error')) as [Error];
    throw new DevstackError('ELASTICSEARCH_START_FAILED', `could not run ${join(dist.home, 'bin', 'elasticsearch')}: ${error.message}`);
  }
  child.on('error', () => undefined);
  // SIGTERM to the launcher stops the server JVM too; if the launcher is killed outright,
  // the server sees its stdin close and shuts itself down.
  const guard = guardAgainstOrphans(pid, 'SIGTERM', () => child.kill('SIGTERM'));
  child.once('exit', () => guard.release());
  return { child, guard, logOffset };
}

/**
 * JVM options from the caller's environment would slip into both JVMs, so they are dropped.
 * The launcher only reads settings and starts the server: C1 is all it is worth compiling for.
 */
function nodeEnv(javaHome: string, files: NodeFiles): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ES_JAVA_HOME: javaHome, ES_PATH_CONF: files.config, ES_TMPDIR: files.tmp };
  for (const name of ['JAVA_HOME', 'ES_JAVA_OPTS', 'JAVA_TOOL_OPTIONS', '_JAVA_OPTIONS']) delete env[name];
  env['CLI_JAVA_OPTS'] = '-XX:TieredStopAtLevel=1';
  return env;
}

async function stopNode({ child, guard }: EsNode, files: NodeFiles): Promise<void> {
  const server = serverPid(files);
  await stopChild(child, 'SIGTERM', STOP_GRACE_MS);
  guard.release();
  if (server !== undefined) await waitForExit(server);
}

/** The server JVM: normally gone with the launcher, but it outlives a launcher that was killed. */
async function waitForExit(pid: number): Promise<void> {
  const deadline = Date.now() + STOP_GRACE_MS;
  while (isAlive(pid)) {
    if (Date.now() >= deadline) {
      signal(pid, 'SIGKILL');
      return;
    }
    await delay(100);
  }
}

function serverPid(files: NodeFiles): number | undefined {
  try {
    const pid = Number(readFileSync(files.pid, 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 && isAlive(pid) ? pid : undefined;
  } catch {
    return undefined;
  }
}


function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch {
    // Already gone.
  }
}

function waitUntilReady(url: string, node: EsNode, logFile: string): Promise<void> {
  return waitFor(() => clusterIsUp(url), {
    timeoutMs: READY_TIMEOUT_MS,
    intervalMs: 500,
    abort: () => (hasExited(node.child) ? exitedEarly(node, logFile) : undefined),
    onTimeout: (lastError) =>
      new DevstackError(
        'ELASTICSEARCH_NOT_READY',
        `Elasticsearch on ${url} was not yellow after ${READY_TIMEOUT_MS / 1000}s (last probe: ${lastError}).${logExcerpt(node, logFile)}`,
      ),
  });
}

async function clusterIsUp(url: string): Promise<void> {
  const response = await fetch(`${url}/_cluster/health?wait_for_status=yellow&timeout=1s`, { signal: AbortSignal.timeout(5_000) });
  const body = (await response.json()) as { status?: unknown };
  if (!response.ok || (body.status !== 'green' && body.status !== 'yellow')) {
    throw new Error(`HTTP ${response.status}, cluster status ${String(body.status)}`);
  }
}

function exitedEarly(node: EsNode, logFile: string): DevstackError {
  const how = node.child.signalCode ?? `code ${String(node.child.exitCode)}`;
  const portTaken = textSince(logFile, node.logOffset).includes('Address already in use');
  return new DevstackError('ELASTICSEARCH_EXITED', `Elasticsearch exited (${how}) before it was ready.${logExcerpt(node, logFile)}`, portTaken);
}

function logExcerpt(node: EsNode, logFile: string): string {
  const cause = firstError(textSince(logFile, node.logOffset));
  return `${cause ? `\nFirst error:\n${cause}` : ''}\nLast lines of ${logFile}:\n${tailOf(logFile)}`;
}

/**
 * The first ERROR/FATAL line of the node (`[time][ERROR][logger] …`) or of its launcher
 * (`ERROR: …`), with the exception line under it: the stack traces that follow bury it.
 */
function firstError(text: string): string | undefined {
  const lines = text.split('\n');
  const at = lines.findIndex((line) => /^\[[^\]]*\]\[(ERROR|FATAL)\s*\]|^ERROR: /.test(line));
  if (at < 0) return undefined;
  const next = lines[at + 1];
  return next && !next.startsWith('[') ? `${lines[at]}\n${next}` : lines[at];
}

function isPortClash(error: unknown): boolean {
  return error instanceof DevstackError && error.code === 'ELASTICSEARCH_EXITED' && error.retriable;
}
