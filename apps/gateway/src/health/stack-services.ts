import { readFile } from 'node:fs/promises';
import { stackStateSchema, type StackProcess } from '@medic/devstack';

/** The stack's processes as `GET /status` shows them. */
export type StackServices =
  | { readonly supervisor: 'medic up'; readonly supervisor_pid: number; readonly updated_at: string; readonly processes: readonly StackProcess[] }
  | { readonly supervisor: 'unknown'; readonly reason: string; readonly processes: readonly [] };

/**
 * Read on each request from the file `medic up` keeps current (MEDIC_STACK_STATE_FILE).
 * A gateway run some other way has no such file and says so instead of failing.
 */
export async function stackServices(file = process.env.MEDIC_STACK_STATE_FILE): Promise<StackServices> {
  if (!file) return { supervisor: 'unknown', reason: 'not run by medic up (MEDIC_STACK_STATE_FILE is unset)', processes: [] };
  try {
    const state = stackStateSchema.parse(JSON.parse(await readFile(file, 'utf8')));
    return { supervisor: 'medic up', ...state };
  } catch (error) {
    return { supervisor: 'unknown', reason: `cannot read ${file}: ${(error as Error).message}`, processes: [] };
  }
}
