import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { type StackState } from './stack-state';

/** Write then rename, so a reader sees the old state or the new one, never half of one. */
export function writeStackState(file: string, state: StackState): void {
  mkdirSync(dirname(file), { recursive: true });
  const temp = `${file}.${process.pid}.tmp`;
  writeFileSync(temp, JSON.stringify(state, null, 2) + '\n');
  renameSync(temp, file);
}
