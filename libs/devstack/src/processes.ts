import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { Socket } from 'node:net';
import type { ExitStatus } from './stack-state';
import { withTimeout } from './wait';

const exitHooks = new Set<() => void>();

function runExitHooks(): void {
  for (const hook of exitHooks) hook();
}

/** Keeps a server from outliving this Node process; `release()` (idempotent) once it has stopped. */
export interface OrphanGuard {
  release(): void;
}

/**
 * Two nets, because 'exit' handlers do not run when Node is killed by a signal or crashes
 * natively: an 'exit' hook signals the server at once on a normal exit, and a reaper shell
 * covers every other death (see startReaper).
 */
export function guardAgainstOrphans(pid: number, signal: 'SIGTERM' | 'SIGINT', signalNow: () => void): OrphanGuard {
  if (exitHooks.size === 0) process.on('exit', runExitHooks);
  const reaper = startReaper(pid, signal);
  exitHooks.add(signalNow);
  return {
    release() {
      exitHooks.delete(signalNow);
      if (exitHooks.size === 0) process.off('exit', runExitHooks);
      reaper.kill('SIGKILL');
    },
  };
}

// Blocks on a pipe only this process writes to. However Node dies (even SIGKILL) the kernel
// closes the pipe, `read` returns, and the server gets its graceful signal, then SIGKILL if it
// is still alive 20 s later. Own process group so a Ctrl-C on the terminal does not kill it.
const REAPER_SCRIPT = [
  'read _ignored',
  'kill -s "$1" "$0" 2>/dev/null',
  'n=0; while kill -0 "$0" 2>/dev/null && [ $n -lt 40 ]; do sleep 0.5; n=$((n+1)); done',
  'kill -s KILL "$0" 2>/dev/null',
].join('; ');

function startReaper(pid: number, signal: 'SIGTERM' | 'SIGINT'): ChildProcess {
  const reaper = spawn('sh', ['-c', REAPER_SCRIPT, String(pid), signal.slice(3)], {
    stdio: ['pipe', 'ignore', 'ignore'],
    detached: true,
  });
  // Without `sh` the 'exit' hook still covers normal exits; a spawn error must not crash Node.
  reaper.on('error', () => undefined);
  // The reaper must not keep Node's event loop alive, or it would defeat its purpose.
  reaper.unref();
  if (reaper.stdin instanceof Socket) reaper.stdin.unref();
  return reaper;
}

/**
 * Resolves with how the child ended, once it has; its orphan guard is released then, since
 * its pid may soon belong to another process.
 */
export function exitOf(child: ChildProcess, guard: OrphanGuard): Promise<ExitStatus> {
  return exitStatusOf(child).then((status) => {
    guard.release();
    return status;
  });
}

/** How the child ended: at once when it already has, else once it does. */
export function exitStatusOf(child: ChildProcess): Promise<ExitStatus> {
  if (hasExited(child)) return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  return new Promise<ExitStatus>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
}

export function hasExited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

/** True while a process with this pid exists (EPERM: it exists but is not ours to signal). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Resolves once `pid` is gone, for a server whose ChildProcess a library keeps to itself.
 * Polled; the timer does not keep Node alive.
 */
export function pidGone(pid: number, intervalMs = 250): Promise<void> {
  return new Promise((resolve) => {
    const timer = setInterval(() => {
      if (isAlive(pid)) return;
      clearInterval(timer);
      resolve();
    }, intervalMs);
    timer.unref();
  });
}


/** Asks `child` to stop with `signal`; SIGKILL after `graceMs`. Resolves once it has exited. */
export async function stopChild(child: ChildProcess, signal: NodeJS.Signals, graceMs: number): Promise<void> {
  if (hasExited(child)) return;
  const exited = once(child, 'exit');
  child.kill(signal);
  try {
    await withTimeout(exited, graceMs, () => new Error('grace period over'));
  } catch {
    child.kill('SIGKILL');
    await exited;
  }
}
