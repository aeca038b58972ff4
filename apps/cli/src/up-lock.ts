import { linkSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isAlive } from '@medic/devstack';
import { CliError } from './cli-config';

/** Held by the one `medic up` that runs the stack of a medic home. */
export interface UpLock {
  readonly file: string;
  release(): void;
}

/** The pid a lock names when that process still lives; a lock whose process is gone (or unreadable) is stale. */
export function lockHolder(content: string | undefined, alive: (pid: number) => boolean): number | undefined {
  if (content === undefined) return undefined;
  let pid: unknown;
  try {
    pid = (JSON.parse(content) as { pid?: unknown }).pid;
  } catch {
    return undefined;
  }
  return typeof pid === 'number' && Number.isInteger(pid) && pid > 0 && alive(pid) ? pid : undefined;
}

/**
 * Takes `<home>/up.lock`, or refuses — before anything of the home is touched — when a live
 * `medic up` holds it. The lock appears whole (a hard link to a written file), so a reader
 * never sees it half written; a stale one is taken over.
 */
export function takeUpLock(home: string): UpLock {
  const file = join(home, 'up.lock');
  // The common refusal writes nothing at all; the loop below settles races between starts.
  refuseIfHeld(home, file, read(file));
  mkdirSync(home, { recursive: true });
  const mine = JSON.stringify({ pid: process.pid, started_at: new Date().toISOString() }) + '\n';
  const temp = `${file}.${process.pid}.tmp`;
  writeFileSync(temp, mine);
  try {
    for (let attempt = 0; attempt < 3; attempt += 1) {
      try {
        linkSync(temp, file);
        // Also on an exit that skips the orderly stop (a library exiting on a signal during start-up).
        const release = () => releaseIfMine(file, mine);
        process.once('exit', release);
        return {
          file,
          release: () => {
            process.off('exit', release);
            release();
          },
        };
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
      const content = read(file);
      refuseIfHeld(home, file, content);
      // Stale. Removed only if it is still the lock just judged, not one a racing start just took.
      if (read(file) === content) rmSync(file, { force: true });
    }
    throw new CliError(`could not take ${file}: other starts keep taking it`);
  } finally {
    rmSync(temp, { force: true });
  }
}

function refuseIfHeld(home: string, file: string, content: string | undefined): void {
  const holder = lockHolder(content, isAlive);
  if (holder === undefined) return;
  throw new CliError(
    `medic up is already running for ${home} (pid ${holder}); refusing to start a second stack there. ` +
      `Stop it first (Ctrl-C in its terminal, or kill ${holder}); if pid ${holder} is not Medic, delete ${file}.`,
  );
}

function releaseIfMine(file: string, mine: string): void {
  if (read(file) === mine) rmSync(file, { force: true });
}

function read(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}
