import { readdirSync, readFileSync } from 'node:fs';
import { eventually } from './medic-harness';

/** A thread's state letter from /proc (R, S, D, T…). */
function stateOf(stat: string): string {
  // The name in parentheses may hold spaces; the state follows the last ')'.
  return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
}

/** Whether every thread of the process is stopped. */
function stopped(pid: number): boolean {
  return readdirSync(`/proc/${pid}/task`).every((task) => {
    try {
      return stateOf(readFileSync(`/proc/${pid}/task/${task}/stat`, 'utf8')) === 'T';
    } catch {
      return true; // the thread ended meanwhile
    }
  });
}

/**
 * Freezes a process with SIGSTOP and returns once it is stopped. The signal
 * takes effect asynchronously, thread by thread as each is next scheduled: a
 * process busy in the kernel (disk I/O on a loaded machine), or one thread of
 * a JVM's many, may still answer a request or two before it stops.
 */
export async function freeze(pid: number): Promise<void> {
  process.kill(pid, 'SIGSTOP');
  await eventually(() => Promise.resolve(stopped(pid) ? true : undefined), `process ${pid} stopped`, 10_000);
}
