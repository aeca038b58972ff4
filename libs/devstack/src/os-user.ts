import { chmod, stat } from 'node:fs/promises';
import { dirname, isAbsolute, relative } from 'node:path';
import { run, toolMissing } from './commands';
import { DevstackError, type DevstackErrorCode } from './errors';

/** A system account a server that refuses root (Postgres, Elasticsearch) runs as. */
export interface OsUser {
  readonly name: string;
  readonly uid: number;
  readonly gid: number;
}

export function runningAsRoot(): boolean {
  return process.getuid?.() === 0;
}

/**
 * Looks up the system user `name`, creating it (and its group) when missing. Two stacks
 * starting at once on a fresh machine may both try to create it; the re-look-up decides.
 * `server` names what runs as it, for messages; `code` is the error a failure becomes.
 */
export async function ensureSystemUser(name: string, server: string, code: DevstackErrorCode): Promise<OsUser> {
  const existing = await lookUpUser(name);
  if (existing) return existing;
  const fail = (tool: string) => (f: { missing: boolean; output: string }) =>
    f.missing ? toolMissing(tool, `needed to create the ${name} user as root`) : new Error(f.output);
  await run('groupadd', ['-f', '--system', name], { timeoutMs: 30_000 }, fail('groupadd'));
  const useradd = ['--system', '--gid', name, '--no-create-home', '--shell', '/usr/sbin/nologin', name];
  await run('useradd', useradd, { timeoutMs: 30_000 }, fail('useradd')).catch(() => undefined);
  const created = await lookUpUser(name);
  if (!created) throw new DevstackError(code, `could not create the OS user ${name} to run ${server} as`);
  return created;
}

async function lookUpUser(name: string): Promise<OsUser | undefined> {
  const line = await run('getent', ['passwd', name], { timeoutMs: 10_000 }, (f) => new Error(f.output)).catch(() => '');
  const [, , uid, gid] = line.trim().split(':');
  return uid && gid ? { name, uid: Number(uid), gid: Number(gid) } : undefined;
}

/**
 * Every folder above `dir` must be searchable by `user`. Folders inside `root` (ours) get
 * o+x, which lets others pass through without listing them (a mkdtemp folder is 0700);
 * anything above `root` is the caller's, so we name it instead of changing it.
 */
export async function openPathFor(user: OsUser, dir: string, root: string, server: string): Promise<void> {
  for (let folder = dirname(dir); folder !== dirname(folder); folder = dirname(folder)) {
    const { mode, uid, gid } = await stat(folder);
    const searchable = mode & 0o001 || (uid === user.uid && mode & 0o100) || (gid === user.gid && mode & 0o010);
    if (searchable) continue;
    if (!isInside(folder, root)) {
      const hint = `choose a folder whose parents are searchable, or run: chmod o+x ${folder}`;
      throw new DevstackError('WORKDIR_NOT_USABLE', `${server} runs as user ${user.name} and cannot reach ${dir}: ${folder} is not searchable by it; ${hint}`);
    }
    await chmod(folder, mode | 0o001);
  }
}

function isInside(folder: string, root: string): boolean {
  const path = relative(root, folder);
  return !path.startsWith('..') && !isAbsolute(path);
}
