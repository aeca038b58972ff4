import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { type StackState } from './stack-state';

/** Write then rename, so a reader sees the old content or the new one, never half of one. */
export function replaceFile(file: string, text: string): void {
  const temp = `${file}.${process.pid}.tmp`;
  writeFileSync(temp, text);
  renameSync(temp, file);
}

export function writeStackState(file: string, state: StackState): void {
  mkdirSync(dirname(file), { recursive: true });
  replaceFile(file, JSON.stringify(state, null, 2) + '\n');
}
