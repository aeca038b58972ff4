// Jest global setup for the int and e2e tiers: one real stack per run, shared by every test
// file through env vars (workers inherit them). Set MEDIC_TEST_KAFKA_BROKERS and
// MEDIC_TEST_DATABASE_URL to run against servers you already have; DATABASE_URL picks the
// Postgres server instead of an embedded one.
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
// Relative, not '@medic/devstack': jest's moduleNameMapper applies inside test files only,
// and global setup runs outside them.
import { startPostgres, startStack } from '../../libs/devstack/src';
import { dropKnownWarnings } from '../../libs/observability/src/warnings';

export interface TestStack {
  readonly workDir: string;
  stop(): Promise<void>;
}

// Setup and teardown run in jest's main process but may not share a module instance.
const STACK_KEY = Symbol.for('medic.test.stack');
type StackHolder = { [STACK_KEY]?: TestStack };

export default async function globalSetup(): Promise<void> {
  dropKnownWarnings();
  const givenBrokers = process.env['MEDIC_TEST_KAFKA_BROKERS'];
  const givenDatabase = process.env['MEDIC_TEST_DATABASE_URL'];
  if (givenBrokers && givenDatabase) return;

  const workDir = await mkdtemp(join(tmpdir(), 'medic-test-stack-'));
  const opts = {
    workDir,
    databaseUrl: givenDatabase || process.env['DATABASE_URL'],
    log: (line: string) => process.stderr.write(`[devstack] ${line}\n`),
  };
  // workDir is kept when start-up fails: the error names the server logs inside it.
  if (givenBrokers) {
    const postgres = await startPostgres(opts);
    keep({ workDir, stop: () => postgres.stop() }, givenBrokers, postgres.url);
  } else {
    const stack = await startStack(opts);
    keep({ workDir, stop: () => stack.stop() }, stack.kafka.brokers, stack.postgres.url);
  }
}

function keep(stack: TestStack, brokers: string, databaseUrl: string): void {
  (globalThis as StackHolder)[STACK_KEY] = stack;
  process.env['MEDIC_TEST_KAFKA_BROKERS'] = brokers;
  process.env['MEDIC_TEST_DATABASE_URL'] = databaseUrl;
}

/** The stack this process started, handed over once (to the teardown). */
export function takeTestStack(): TestStack | undefined {
  const holder = globalThis as StackHolder;
  const stack = holder[STACK_KEY];
  delete holder[STACK_KEY];
  return stack;
}
