import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync } from 'node:fs';
import { join } from 'node:path';
import { exitOf, guardAgainstOrphans, hasExited, stopChild, type OrphanGuard } from './processes';
import { repoRoot } from './repo';
import { type ExitStatus } from './stack-state';
import { type RestartableServer } from './types';
import { answersHttp, answersOk, waitFor } from './wait';

/** The Medic services `medic up` runs, in start order. */
export const MEDIC_SERVICES = ['listener', 'decision', 'enrichment', 'negotiator', 'executor', 'monitor', 'learning', 'gateway'] as const;
export type MedicServiceName = (typeof MEDIC_SERVICES)[number];

export interface ServiceProcess {
  readonly name: MedicServiceName;
  readonly pid: number;
  readonly logFile: string;
  /** Resolves with the exit code (or signal) when the process ends, however it ends. */
  readonly exited: Promise<ExitStatus>;
  isRunning(): boolean;
  /** SIGTERM, then SIGKILL after `graceMs`. */
  stop(graceMs?: number): Promise<void>;
  /** Sends a signal and returns at once (tests use SIGKILL to simulate a crash). */
  kill(signal: NodeJS.Signals): void;
}

export interface SpawnServiceOptions {
  readonly name: MedicServiceName;
  /** Environment on top of this process's own (config comes from env and MEDIC_CONFIG_PATH). */
  readonly env: NodeJS.ProcessEnv;
  readonly logDir: string;
}

/** The built entry point of a service (`npm run build` makes it). */
export function serviceEntry(name: MedicServiceName): string {
  const entry = join(repoRoot(), 'dist', 'apps', name, 'src', 'main.js');
  if (!existsSync(entry)) throw new Error(`${entry} is missing: run \`npm run build\` first`);
  return entry;
}

/**
 * Starts one service as a child process (on the same Node as this one). Its
 * output goes straight into its log file, not through this process: a busy
 * service's log lines cost this process nothing, and are kept if it dies.
 */
export function spawnService(opts: SpawnServiceOptions): ServiceProcess {
  mkdirSync(opts.logDir, { recursive: true });
  const logFile = join(opts.logDir, `${opts.name}.log`);
  const log = openSync(logFile, 'a');
  let child: ChildProcess;
  try {
    child = spawn(process.execPath, ['--enable-source-maps', serviceEntry(opts.name)], {
      env: { ...process.env, ...opts.env },
      stdio: ['ignore', log, log],
    });
  } finally {
    closeSync(log);
  }
  const pid = child.pid;
  if (pid === undefined) throw new Error(`could not start ${opts.name}`);
  const guard: OrphanGuard = guardAgainstOrphans(pid, 'SIGTERM', () => child.kill('SIGTERM'));
  const exited = exitOf(child, guard);
  return {
    name: opts.name,
    pid,
    logFile,
    exited,
    isRunning: () => !hasExited(child),
    stop: (graceMs = 10_000) => stopChild(child, 'SIGTERM', graceMs),
    kill: (signal) => {
      child.kill(signal);
    },
  };
}

export interface ServiceSpec extends SpawnServiceOptions {
  /** Answers 2xx once the service serves: the gateway's `/health`, another service's `/metrics`. */
  readonly readyUrl: string;
}

/** A service `medic up` can start again, with the same environment and ports, after it died. */
export interface RestartableService extends RestartableServer {
  readonly name: MedicServiceName;
  isRunning(): boolean;
  stop(): Promise<void>;
}

/** Spawns the service now; `restart()` spawns it again and resolves once it serves. */
export function startService(spec: ServiceSpec): RestartableService {
  let proc = spawnService(spec);
  let stopping: Promise<void> | undefined;
  return {
    name: spec.name,
    logFile: proc.logFile,
    current: () => proc,
    isRunning: () => proc.isRunning(),
    restart: async () => {
      if (stopping) throw new Error(`${spec.name} is being stopped; not starting it again`);
      proc = spawnService(spec);
      await waitUntilServing(proc, spec.readyUrl);
    },
    stop: () => (stopping ??= proc.stop()),
    // Any HTTP answer from /ready: its event loop turns.
    answers: (timeoutMs) => answersHttp(new URL('/ready', spec.readyUrl), timeoutMs),
  };
}

/** Polls `url` until the service answers, failing at once if its process ends first. */
export function waitUntilServing(proc: ServiceProcess, url: string, timeoutMs = 60_000): Promise<void> {
  return waitFor(
    // Bounded: something else holding the port may accept and never answer.
    () => answersOk(url, 2_000),
    {
      timeoutMs,
      abort: () => (proc.isRunning() ? undefined : new Error('it exited while starting')),
      onTimeout: (last) => new Error(`no answer within ${timeoutMs / 1000}s (${last})`),
    },
  );
}
