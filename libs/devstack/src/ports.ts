import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';

/**
 * Ports this process already handed out, so two services of one stack never
 * get the same one: by whom they were asked for (a stack folder and a name,
 * see stackPort), or null when through freePort.
 */
const handedOut = new Map<number, string | null>();
/** Ports a stack folder keeps for one of its servers: `freePort` leaves them to it. */
const keptForStacks = new Set<number>();

/** Where a stack folder keeps the ports of its last run. */
export const PORTS_FILE = 'ports.json';

/**
 * A TCP port on 127.0.0.1 that nothing listens on right now. Another process may still
 * grab it before our server binds; the starters retry on "address in use" for that reason.
 */
export async function freePort(): Promise<number> {
  for (;;) {
    const port = await askKernelForPort();
    if (!handedOut.has(port) && !keptForStacks.has(port)) {
      handedOut.set(port, null);
      return port;
    }
  }
}

export interface StackPort {
  readonly port: number;
  /** The last run's port, when something else holds it now and `port` is another. */
  readonly moved: number | null;
}

/**
 * The port of `name` (`kafka`, `postgres`, `listener-metrics`…) in the stack
 * folder `workDir`: the one it had in the last run when nothing holds it now,
 * otherwise a free one; kept in `<workDir>/ports.json` either way. So the
 * addresses a user wrote down from an earlier run (Smith's broker, a psql
 * command, a Prometheus scrape target) stay right from one `medic up` to the
 * next. `fresh`: a new port whatever the last run had (after a port clash).
 */
export async function stackPort(workDir: string, name: string, fresh = false): Promise<StackPort> {
  const kept = readPorts(workDir);
  for (const port of Object.values(kept)) keptForStacks.add(port);
  const last = fresh ? undefined : kept[name];
  // Handed out before to the same server of the same stack: started again, it may have its port again.
  const owner = `${resolve(workDir)}\n${name}`;
  const mayHave = (port: number) => {
    const holder = handedOut.get(port);
    return holder === undefined || holder === owner;
  };
  if (last !== undefined && mayHave(last) && (await isFree(last)) && mayHave(last)) {
    handedOut.set(last, owner);
    return { port: last, moved: null };
  }
  const port = await freePort();
  handedOut.set(port, owner);
  keepPort(workDir, name, port);
  return { port, moved: last ?? null };
}

/** Whether nothing listens on `port` of 127.0.0.1 right now. */
export function isFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.unref();
    server.once('error', () => resolve(false));
    server.listen({ port, host: '127.0.0.1', exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/** The ports file's entries that are ports; a missing or unreadable file is no memory at all. */
function readPorts(workDir: string): Record<string, number> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(join(workDir, PORTS_FILE), 'utf8'));
  } catch {
    return {};
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return {};
  return Object.fromEntries(Object.entries(parsed).filter((e): e is [string, number] => Number.isInteger(e[1]) && e[1] > 0 && e[1] < 65_536));
}

/** Read, changed and written back without a pause between, then renamed into place: starters running side by side keep each other's ports. */
function keepPort(workDir: string, name: string, port: number): void {
  keptForStacks.add(port);
  const file = join(workDir, PORTS_FILE);
  const temp = `${file}.${process.pid}.tmp`;
  try {
    writeFileSync(temp, `${JSON.stringify({ ...readPorts(workDir), [name]: port }, null, 2)}\n`);
    renameSync(temp, file);
  } catch {
    // Remembering is a convenience: a folder that cannot be written to just gets new ports next time.
  }
}

function askKernelForPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen({ port: 0, host: '127.0.0.1', exclusive: true }, () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => (port > 0 ? resolve(port) : reject(new Error('kernel gave no port'))));
    });
  });
}
