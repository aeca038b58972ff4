import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, isFree, PORTS_FILE, stackPort } from './ports';

function listenOn(port: number): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen({ port, host: '127.0.0.1', exclusive: true }, () => resolve(server));
  });
}

/** A port the kernel had free a moment ago, as a port kept by another process would be: unknown to this one. */
async function portOfAnotherProcess(): Promise<number> {
  const server = await listenOn(0);
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  return typeof address === 'object' && address !== null ? address.port : 0;
}

const kept = (dir: string): unknown => JSON.parse(readFileSync(join(dir, PORTS_FILE), 'utf8'));

describe('stackPort', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'medic-ports-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('gives a new stack folder free ports and keeps them in its ports file', async () => {
    const kafka = await stackPort(dir, 'kafka');
    const postgres = await stackPort(dir, 'postgres');
    expect(kafka.moved).toBeNull();
    expect(postgres.port).not.toBe(kafka.port);
    expect(kept(dir)).toEqual({ kafka: kafka.port, postgres: postgres.port });
    expect(await isFree(kafka.port)).toBe(true);
  });

  it("gives a server its last run's port again while nothing holds it", async () => {
    const first = await stackPort(dir, 'kafka');
    const told: string[] = [];
    expect(await stackPort(dir, 'kafka', { log: (line) => told.push(line) })).toEqual({ port: first.port, moved: null });
    expect(told).toEqual([]);
  });

  it('reads a port kept by an earlier process', async () => {
    const earlier = await portOfAnotherProcess();
    writeFileSync(join(dir, PORTS_FILE), JSON.stringify({ postgres: earlier }));
    expect(await stackPort(dir, 'postgres')).toEqual({ port: earlier, moved: null });
  });

  it('moves a server whose last port something else holds now, says from where, and keeps the new one', async () => {
    const first = await stackPort(dir, 'kafka');
    const squatter = await listenOn(first.port);
    try {
      const told: string[] = [];
      const next = await stackPort(dir, 'kafka', { log: (line) => told.push(line) });
      expect(told).toEqual([`kafka: port ${first.port} of the last run is taken; it listens on ${next.port} now`]);
      expect(next.moved).toBe(first.port);
      expect(next.port).not.toBe(first.port);
      expect(kept(dir)).toEqual({ kafka: next.port });
    } finally {
      squatter.close();
    }
  });

  it('never gives the port one server of a stack keeps to another, nor through freePort', async () => {
    const kafka = await stackPort(dir, 'kafka');
    writeFileSync(join(dir, PORTS_FILE), JSON.stringify({ kafka: kafka.port, postgres: kafka.port }));
    const postgres = await stackPort(dir, 'postgres');
    expect(postgres.port).not.toBe(kafka.port);
    expect(postgres.moved).toBe(kafka.port);
    const others = await Promise.all(Array.from({ length: 50 }, () => freePort()));
    expect(others).not.toContain(kafka.port);
    expect(others).not.toContain(postgres.port);
  });

  it('takes a new port when asked for a fresh one (after a clash)', async () => {
    const first = await stackPort(dir, 'kafka');
    const fresh = await stackPort(dir, 'kafka', { fresh: true });
    expect(fresh.port).not.toBe(first.port);
    expect(kept(dir)).toEqual({ kafka: fresh.port });
  });

  it('starts afresh from a ports file that is not JSON, or holds what is no port', async () => {
    writeFileSync(join(dir, PORTS_FILE), '{not json');
    expect((await stackPort(dir, 'kafka')).moved).toBeNull();
    writeFileSync(join(dir, PORTS_FILE), JSON.stringify({ kafka: 'x', postgres: 70_000, api: -1, gateway: 1.5 }));
    for (const name of ['kafka', 'postgres', 'api', 'gateway']) expect((await stackPort(dir, name)).moved).toBeNull();
    writeFileSync(join(dir, PORTS_FILE), '[1,2]');
    expect((await stackPort(dir, 'kafka')).moved).toBeNull();
  });

  it('hands out ports even where the folder cannot be written to', async () => {
    const missing = join(dir, 'no', 'such', 'folder');
    const { port } = await stackPort(missing, 'kafka');
    expect(port).toBeGreaterThan(0);
  });
});
