import { readdirSync, readFileSync } from 'node:fs';

/**
 * CPU time spent by the benchmark and every process it started (services,
 * broker, Postgres, Elasticsearch), by role, from /proc. On a shared machine
 * a wall-clock figure moves with the neighbours; the CPU a kill costs does
 * not, so the benchmark prints both.
 */
export type CpuSnapshot = ReadonlyMap<string, number>;

/** Linux reports process times in USER_HZ ticks, 100 per second on every architecture Node runs on. */
const TICK_MS = 10;

interface Proc {
  readonly pid: number;
  readonly ppid: number;
  readonly ms: number;
  readonly role: string;
}

function readProc(pid: number): Proc | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name is in parentheses and may hold spaces: fields are counted after its closing one.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ppid = Number(fields[1]);
    const ms = (Number(fields[11]) + Number(fields[12])) * TICK_MS;
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
    return { pid, ppid, ms, role: roleOf(cmdline, pid) };
  } catch {
    return null; // gone between listing and reading
  }
}

function roleOf(cmdline: string, pid: number): string {
  if (pid === process.pid) return 'load generator';
  const service = /dist\/apps\/([a-z]+)\//.exec(cmdline);
  if (service) return service[1]!;
  if (cmdline.includes('kafka.Kafka')) return 'broker';
  if (cmdline.includes('org.elasticsearch')) return 'elasticsearch';
  if (cmdline.startsWith('postgres') || cmdline.includes('/bin/postgres')) return 'postgres';
  return 'other';
}

/** CPU milliseconds so far of this process and its descendants, summed by role. */
export function cpuSnapshot(): CpuSnapshot {
  const procs = readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .map((d) => readProc(Number(d)))
    .filter((p): p is Proc => p !== null);
  const children = new Map<number, Proc[]>();
  for (const p of procs) {
    const siblings = children.get(p.ppid);
    if (siblings) siblings.push(p);
    else children.set(p.ppid, [p]);
  }
  const self = procs.find((p) => p.pid === process.pid);
  const byRole = new Map<string, number>();
  const visit = (p: Proc) => {
    byRole.set(p.role, (byRole.get(p.role) ?? 0) + p.ms);
    for (const c of children.get(p.pid) ?? []) visit(c);
  };
  if (self) visit(self);
  return byRole;
}

/** The machine's CPU time so far (every core, from /proc/stat): busy, and in all. */
export interface MachineTimes {
  readonly busyMs: number;
  readonly allMs: number;
}

/**
 * Busy is time spent on anything, kernel work outside any process included
 * (interrupts, softirqs: the loopback network's), which the per-process
 * figures leave out; idle, waits for I/O and time the hypervisor stole are
 * not.
 */
export function machineTimes(): MachineTimes {
  const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1, 9).map(Number);
  const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] = fields;
  const busy = user + nice + system + irq + softirq;
  return { busyMs: busy * TICK_MS, allMs: (busy + idle + iowait + steal) * TICK_MS };
}

/** The share of the machine's CPU time that was busy between two readings. */
export function busyShare(before: MachineTimes, after: MachineTimes): number {
  const all = after.allMs - before.allMs;
  return all > 0 ? (after.busyMs - before.busyMs) / all : 0;
}

/**
 * CPU milliseconds per unit of work by role between two snapshots, largest
 * first, with the total and the rate those cores could sustain at that cost.
 * Only the roles `counted` are (by default all but `other`); a process that
 * exited in between is not counted.
 */
export function cpuPerUnit(
  before: CpuSnapshot,
  after: CpuSnapshot,
  units: number,
  cores: number,
  counted: (role: string) => boolean = (role) => role !== 'other',
): { line: string; totalMs: number; ceiling: number } {
  const spent = [...after]
    .map(([role, ms]) => [role, (ms - (before.get(role) ?? 0)) / units] as const)
    .filter(([role, ms]) => ms > 0 && counted(role))
    .sort((a, b) => b[1] - a[1]);
  const totalMs = spent.reduce((sum, [, ms]) => sum + ms, 0);
  const ceiling = (cores * 1000) / totalMs;
  return { line: `${spent.map(([role, ms]) => `${role} ${ms.toFixed(2)}`).join(', ')}; total ${totalMs.toFixed(2)} ms`, totalMs, ceiling };
}
