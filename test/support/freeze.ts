import { readFileSync } from 'node:fs';
import { eventually } from './medic-harness';

/** A process's state letter from /proc (R, S, D, T…). */
function stateOf(pid: number): string {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The name in parentheses may hold spaces; the state follows the last ')'.
  return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
}

/**
 * Freezes a process with SIGSTOP and returns once it is stopped. The signal
 * takes effect asynchronously: a process busy in the kernel (disk I/O on a
 * loaded machine) may still answer a request or two before it stops.
 */
export async function freeze(pid: number): Promise<void> {
  process.kill(pid, 'SIGSTOP');
  await eventually(() => Promise.resolve(stateOf(pid) === 'T' ? true : undefined), `process ${pid} stopped`, 10_000);
}
