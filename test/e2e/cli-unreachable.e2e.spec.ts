import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { freeze, testInfra, medicCli } from '@medic/testing';

const DIST = join(__dirname, '../../dist');

/**
 * An embedded Postgres of the test's own, started by the built devstack in a
 * child process (the package is ES-module only, which jest cannot load): it
 * prints the server's URL and pid, and stops it on SIGTERM.
 */
async function ownPostgres(): Promise<{ url: string; pid: number; holder: ChildProcess }> {
  const script = `
    const { startPostgres } = require(${JSON.stringify(join(DIST, 'libs/devstack/src/index.js'))});
    delete process.env.DATABASE_URL;
    startPostgres({ workDir: ${JSON.stringify(mkdtempSync(join(tmpdir(), 'medic-hung-pg-')))} }).then((pg) => {
      process.stdout.write(JSON.stringify({ url: pg.url, pid: pg.server.current().pid }) + '\\n');
      process.on('SIGTERM', () => pg.stop().then(() => process.exit(0)));
    }, (error) => { console.error(error); process.exit(1); });`;
  const holder = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  const line = await new Promise<string>((resolve, reject) => {
    let out = '';
    holder.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes('\n')) resolve(out.split('\n')[0]!);
    });
    holder.once('exit', (code) => reject(new Error(`the Postgres holder exited (${code}) before its server was up`)));
  });
  return { ...(JSON.parse(line) as { url: string; pid: number }), holder };
}

/**
 * A Postgres that hangs rather than refuses: its postmaster stopped
 * (SIGSTOP), so a connection is accepted by the kernel and never answered.
 * The CLI must give up with a message naming the server, not wait forever.
 */
describe('medic replay rebuild against a Postgres that does not answer', () => {
  let postgres: Awaited<ReturnType<typeof ownPostgres>>;

  beforeAll(async () => {
    postgres = await ownPostgres();
    // The brokers hold Medic's log (the default config's kill topic), so that it is Postgres the rebuild stops at.
    const admin = new Kafka({ clientId: 'cli-unreachable', brokers: [testInfra().brokers], logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    try {
      await admin.createTopics({ topics: [{ topic: 'medic.kill.events', numPartitions: 1 }], waitForLeaders: true });
    } finally {
      await admin.disconnect();
    }
  });
  afterAll(async () => {
    if (!postgres) return;
    process.kill(postgres.pid, 'SIGCONT');
    const exited = new Promise((resolve) => postgres.holder.once('exit', resolve));
    postgres.holder.kill('SIGTERM');
    await exited;
  });

  it('exits non-zero, naming the server it could not open, once the connect timeout has passed', async () => {
    const pid = postgres.pid;
    const port = new URL(postgres.url).port;
    await freeze(pid);
    let failure: { code?: number; stderr?: string } | null = null;
    try {
      await medicCli(['replay', 'rebuild', '--projection', 'gateway.kills'], {
        env: { ...process.env, DATABASE_URL: postgres.url, KAFKA_BROKERS: testInfra().brokers },
        // Past this the CLI is hanging: the test fails below rather than waiting on it.
        timeout: 40_000,
        killSignal: 'SIGKILL',
      });
    } catch (error) {
      failure = error as { code?: number; stderr?: string };
    } finally {
      process.kill(pid, 'SIGCONT');
    }
    expect(failure).not.toBeNull();
    expect(failure!.code).toBe(1);
    expect(failure!.stderr).toContain(`could not open Postgres at 127.0.0.1:${port}/`);
    expect(failure!.stderr).toMatch(/timeout/i);
    // Credentials stay out of the message.
    expect(failure!.stderr).not.toMatch(/postgres:[^@\s]+@/);
  });
});

/** A port nothing listens on: one the kernel just gave out and took back. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('medic commands with no Kafka broker listening', () => {
  it.each([
    [['replay', 'audit', 'k-1']],
    [['replay', 'rebuild', '--projection', 'gateway.kills']],
    [['replay', 'recalibrate']],
    [['smith', 'kill', 'nginx-test']],
    [['smith', 'answer', '--policy', 'approve', '--once']],
  ])('medic %j stops at once, naming where it looked and what to do', async (args) => {
    const port = await closedPort();
    const started = Date.now();
    let failure: { code?: number; stderr?: string } | null = null;
    try {
      await medicCli(args, {
        env: { ...process.env, KAFKA_BROKERS: `127.0.0.1:${port}`, DATABASE_URL: testInfra().databaseUrl, MEDIC_HOME: mkdtempSync(join(tmpdir(), 'medic-no-stack-')) },
        timeout: 20_000,
        killSignal: 'SIGKILL',
      });
    } catch (error) {
      failure = error as { code?: number; stderr?: string };
    }
    expect(failure).not.toBeNull();
    expect(failure!.code).toBe(1);
    expect(failure!.stderr).toContain(`medic: no Kafka broker answers at 127.0.0.1:${port} (kafka.brokers): start Medic with \`npm start\``);
    expect(Date.now() - started).toBeLessThan(10_000);
  });
});
