import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

/**
 * The folder holding the root package.json, found from this file so it works from
 * `src` (ts, jest) and from `dist` alike. Libraries here have no package.json of their own.
 */
export function repoRoot(): string {
  let dir = __dirname;
  while (!existsSync(join(dir, 'package.json'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`no package.json above ${__dirname}`);
    dir = parent;
  }
  return dir;
}
