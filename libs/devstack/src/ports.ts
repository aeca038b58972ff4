import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { replaceFile } from './stack-state-file';

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
    const port = await bindOnce(0);
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
 * next. `fresh`: a new port whatever the last run had (after a port clash);
 * `log`: told when the last run's port is taken and `name` moves.
 */
export async function stackPort(workDir: string, name: string, opts: { readonly fresh?: boolean; readonly log?: (line: string) => void } = {}): Promise<StackPort> {
  const kept = readPorts(workDir);
  for (const port of Object.values(kept)) keptForStacks.add(port);
  const last = opts.fresh ? undefined : kept[name];
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
  if (last !== undefined) opts.log?.(`${name}: port ${last} of the last run is taken; it listens on ${port} now`);
  return { port, moved: last ?? null };
}

/**
 * The ports of a server's attempt to start (see stackPort): the last run's
 * on the first attempt, new ones after a clash. Only the address clients are
 * given (`told`) is worth a line when it moves.
 */
export function attemptPorts(workDir: string, attempt: number, log: (line: string) => void): (name: string, told?: boolean) => Promise<number> {
  return async (name, told = false) => (await stackPort(workDir, name, { fresh: attempt > 1, log: told ? log : undefined })).port;
}

/** Whether nothing listens on `port` of 127.0.0.1 right now. */
export function isFree(port: number): Promise<boolean> {
  return bindOnce(port).then(
    () => true,
    () => false,
  );
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
  try {
    replaceFile(join(workDir, PORTS_FILE), `${JSON.stringify({ ...readPorts(workDir), [name]: port }, null, 2)}\n`);
  } catch {
    // Remembering is a convenience: a folder that cannot be written to just gets new ports next time.
  }
}

/** Binds `port` of 127.0.0.1 (0: one the kernel picks) and lets it go again; the port bound, or the error binding it. */
function bindOnce(port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen({ port, host: '127.0.0.1', exclusive: true }, () => {
      const address = server.address();
      const bound = typeof address === 'object' && address ? address.port : 0;
      server.close(() => (bound > 0 ? resolve(bound) : reject(new Error('kernel gave no port'))));
    });
  });
}
