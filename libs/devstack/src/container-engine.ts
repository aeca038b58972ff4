import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { closeSync, existsSync, openSync, writeSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { toolMissing } from './commands';
import { answersPing, callEngine, pingEngine } from './engine-api';
import { DevstackError } from './errors';
import { tailOf } from './log-file';
import { exitOf, guardAgainstOrphans, hasExited, stopChild, type OrphanGuard } from './processes';
import { repoRoot } from './repo';
import type { ExitStatus } from './stack-state';
import { type DevstackOptions, type RestartableServer } from './types';
import { secondsSince, waitFor } from './wait';

/** Where Docker and most engines that mimic it listen when nothing else is said. */
const DEFAULT_DOCKER_SOCKET = '/var/run/docker.sock';
const EXTERNAL_TIMEOUT_MS = 5_000;
const READY_TIMEOUT_MS = 60_000;
const STOP_GRACE_MS = 30_000;
/** How long a container may take to stop on SIGTERM when the engine stops with the stack. */
const CONTAINER_STOP_SECONDS = 5;
/** sun_path holds 108 bytes with the terminating NUL. */
const MAX_SOCKET_PATH_BYTES = 107;

export interface ContainerEngineHandle {
  /** Unix socket serving the Docker Engine API (dockerode's `socketPath`). */
  readonly socket: string;
  /**
   * True when the engine was found through `DOCKER_HOST` or /var/run/docker.sock rather than
   * started here; `stop()` then leaves it alone.
   */
  readonly external: boolean;
  /**
   * The engine started here (null for an external one), for `medic up` to keep alive: a
   * restart serves the same socket, and the containers, which outlive it, are seen again.
   */
  readonly server: RestartableServer | null;
  stop(): Promise<void>;
}

export interface ContainerEngineOptions extends Pick<DevstackOptions, 'workDir' | 'log'> {
  /** A Docker API endpoint to use instead of starting one, as `unix:///path`; default `DOCKER_HOST`. */
  readonly dockerHost?: string;
}

interface EngineFiles {
  readonly socket: string;
  readonly log: string;
  readonly storageConf: string;
  readonly tmpDir: string;
  readonly networkDir: string;
}

interface Service {
  readonly child: ChildProcess;
  readonly guard: OrphanGuard;
  readonly exited: Promise<ExitStatus>;
}

/**
 * The Docker Engine API for the dev stack and the tests: the engine `DOCKER_HOST` names (or
 * one answering on /var/run/docker.sock), else podman serving it on `<workDir>/podman/podman.sock`
 * with the project's deploy/podman/containers.conf and storage inside `workDir`.
 */
export async function startContainerEngine(opts: ContainerEngineOptions): Promise<ContainerEngineHandle> {
  const running = await findRunningEngine(opts);
  if (running) {
    opts.log?.(`container engine: using the one on unix://${running}`);
    return { socket: running, external: true, server: null, stop: () => Promise.resolve() };
  }
  return startPodman(opts);
}

async function findRunningEngine(opts: ContainerEngineOptions): Promise<string | undefined> {
  const given = opts.dockerHost || process.env['DOCKER_HOST'];
  if (given) {
    const socket = unixSocketOf(given);
    await waitFor(() => pingEngine(socket), {
      timeoutMs: EXTERNAL_TIMEOUT_MS,
      onTimeout: (lastError) =>
        new DevstackError('CONTAINER_ENGINE_UNREACHABLE', `the container engine at DOCKER_HOST=${given} did not answer GET /_ping within ${EXTERNAL_TIMEOUT_MS / 1000}s: ${lastError}`, true),
    });
    return socket;
  }
  return existsSync(DEFAULT_DOCKER_SOCKET) && (await answersPing(DEFAULT_DOCKER_SOCKET)) ? DEFAULT_DOCKER_SOCKET : undefined;
}

function unixSocketOf(dockerHost: string): string {
  const path = dockerHost.startsWith('unix://') ? dockerHost.slice('unix://'.length) : '';
  if (!path) throw new DevstackError('CONTAINER_ENGINE_UNREACHABLE', `DOCKER_HOST=${dockerHost} is not a unix socket (unix:///path/to/docker.sock); only those are supported`);
  return path;
}

async function startPodman(opts: ContainerEngineOptions): Promise<ContainerEngineHandle> {
  const startedAt = Date.now();
  const files = await prepareFiles(resolve(opts.workDir, 'podman'));
  let service = await spawnService(files);
  let stopping: Promise<void> | undefined;
  const server: RestartableServer = {
    logFile: files.log,
    current: () => ({ pid: service.child.pid!, exited: service.exited }),
    restart: async () => {
      if (stopping) throw new DevstackError('CONTAINER_ENGINE_EXITED', 'the container engine is being stopped');
      // Left behind by the service that died; podman would refuse to listen on it.
      await rm(files.socket, { force: true });
      service = await spawnService(files);
      await waitUntilReady(service, files);
    },
    // Any HTTP answer on its socket.
    answers: (timeoutMs) => callEngine(files.socket, 'GET', '/_ping', timeoutMs).then(
      () => true,
      () => false,
    ),
  };
  const handle: ContainerEngineHandle = { socket: files.socket, external: false, server, stop: () => (stopping ??= stopService(service, files.socket)) };
  try {
    await waitUntilReady(service, files);
  } catch (error) {
    await handle.stop();
    throw error;
  }
  opts.log?.(`container engine: podman ready on unix://${files.socket} in ${secondsSince(startedAt)} (log: ${files.log})`);
  return handle;
}

async function prepareFiles(dir: string): Promise<EngineFiles> {
  const files: EngineFiles = {
    socket: join(dir, 'podman.sock'),
    log: join(dir, 'podman.log'),
    storageConf: join(dir, 'storage.conf'),
    tmpDir: join(dir, 'tmp'),
    networkDir: join(dir, 'networks'),
  };
  if (Buffer.byteLength(files.socket) > MAX_SOCKET_PATH_BYTES) {
    throw new DevstackError('WORKDIR_NOT_USABLE', `the container engine's socket ${files.socket} is longer than a unix socket path may be (${MAX_SOCKET_PATH_BYTES} bytes); choose a shorter workDir`);
  }
  await Promise.all([files.tmpDir, files.networkDir].map((folder) => mkdir(folder, { recursive: true })));
  await writeFile(files.storageConf, storageConf(dir));
  // Left behind by an engine that was killed; podman would refuse to listen on it.
  await rm(files.socket, { force: true });
  return files;
}

/**
 * Images and containers of this stack only. overlay works natively for root on ext4/xfs and
 * is far cheaper than vfs, which copies every layer for every container.
 */
function storageConf(dir: string): string {
  return [
    '[storage]',
    'driver = "overlay"',
    `graphroot = ${JSON.stringify(join(dir, 'storage'))}`,
    `runroot = ${JSON.stringify(join(dir, 'run'))}`,
    '[storage.options.overlay]',
    // Otherwise the driver bind-mounts its folder onto itself and nothing unmounts it when the
    // service stops, so the workDir could not be deleted.
    'skip_mount_home = "true"',
    '',
  ].join('\n');
}

async function spawnService(files: EngineFiles): Promise<Service> {
  const out = openSync(files.log, 'a');
  writeSync(out, `\n----- medic devstack: podman service starting ${new Date().toISOString()} -----\n`);
  // tmpdir (libpod's locks, exit files, the events log) and the network configs default to
  // /run and /etc, shared by every engine on the machine; each stack keeps its own.
  const args = ['--tmpdir', files.tmpDir, '--network-config-dir', files.networkDir, 'system', 'service', '--time=0', `unix://${files.socket}`];
  const env = { ...process.env, CONTAINERS_CONF: join(repoRoot(), 'deploy', 'podman', 'containers.conf'), CONTAINERS_STORAGE_CONF: files.storageConf };
  const child = spawn('podman', args, { stdio: ['ignore', out, out], env });
  closeSync(out);
  const pid = child.pid;
  if (pid === undefined) {
    const [error] = (await once(child, 'error')) as [NodeJS.ErrnoException];
    throw error.code === 'ENOENT' ? podmanMissing() : error;
  }
  child.on('error', () => undefined);
  const guard = guardAgainstOrphans(pid, 'SIGTERM', () => child.kill('SIGTERM'));
  return { child, guard, exited: exitOf(child, guard) };
}

function podmanMissing(): DevstackError {
  return toolMissing('podman', 'the dev stack runs its containers on podman (Debian: apt-get install podman runc), or set DOCKER_HOST to a running engine');
}

function waitUntilReady(service: Service, files: EngineFiles): Promise<void> {
  return waitFor(() => pingEngine(files.socket), {
    timeoutMs: READY_TIMEOUT_MS,
    intervalMs: 100,
    abort: () => (hasExited(service.child) ? exitedEarly(service, files) : undefined),
    onTimeout: (lastError) =>
      new DevstackError('CONTAINER_ENGINE_NOT_READY', `podman did not answer GET /_ping on ${files.socket} within ${READY_TIMEOUT_MS / 1000}s (last probe: ${lastError}).${logExcerpt(files)}`),
  });
}

function exitedEarly(service: Service, files: EngineFiles): DevstackError {
  const how = service.child.signalCode ?? `code ${String(service.child.exitCode)}`;
  return new DevstackError('CONTAINER_ENGINE_EXITED', `podman system service exited (${how}) before it answered.${logExcerpt(files)}`);
}

function logExcerpt(files: EngineFiles): string {
  return `\nLast lines of ${files.log}:\n${tailOf(files.log)}`;
}

/**
 * Containers are not children of the service (each has its own conmon), so they would outlive
 * it, holding their ports, with no API left to reach them: they stop with the stack. When Node
 * dies without stop(), the orphan guard ends the service only; the next engine started on the
 * same workDir sees those containers again and stops them with itself.
 */
async function stopService(service: Service, socket: string): Promise<void> {
  if (!hasExited(service.child)) await stopContainers(socket).catch(() => undefined);
  await stopChild(service.child, 'SIGTERM', STOP_GRACE_MS);
  service.guard.release();
}

async function stopContainers(socket: string): Promise<void> {
  const listed = await callEngine(socket, 'GET', '/containers/json');
  if (listed.status !== 200) return;
  const running = JSON.parse(listed.body) as Array<{ Id: string }>;
  const timeoutMs = (CONTAINER_STOP_SECONDS + 10) * 1000;
  await Promise.allSettled(running.map(({ Id }) => callEngine(socket, 'POST', `/containers/${Id}/stop?t=${CONTAINER_STOP_SECONDS}`, timeoutMs)));
}
