import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { MedicUnderTest } from './medic-harness';

/** The built `medic` command (`npm run build` makes it). */
export const MEDIC_CLI = join(__dirname, '../../dist/apps/cli/src/main.js');

const execMedic = promisify(execFile);

/**
 * What a `medic` command needs to work on the stack under test: its config,
 * broker and database, and a home of its own, so that it never finds the
 * `.medic/endpoints.json` of a `medic up` running in the checkout.
 */
export function cliEnv(medic: MedicUnderTest, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return {
    ...process.env,
    MEDIC_CONFIG_PATH: join(medic.logDir, 'medic.yaml'),
    KAFKA_BROKERS: medic.brokers,
    DATABASE_URL: medic.databaseUrl,
    MEDIC_HOME: mkdtempSync(join(tmpdir(), 'medic-cli-')),
    ...extra,
  };
}

/**
 * Runs `medic <args>` to its end: its stdout and stderr, or, on a non-zero
 * exit, a rejection carrying `code`, `stdout` and `stderr`.
 */
export function medicCli(args: readonly string[], options: { env: NodeJS.ProcessEnv; timeout?: number; killSignal?: NodeJS.Signals }): Promise<{ stdout: string; stderr: string }> {
  return execMedic(process.execPath, [MEDIC_CLI, ...args], options);
}
