import { loadConfig, type MedicConfig } from '@medic/config';
import { repoRoot } from '@medic/devstack';
import { medicHome, readEndpoints } from './endpoints';

/** A message for the user and a non-zero exit, not a stack trace. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
  }
}

/**
 * Config for the replay commands: the usual env and file, and — when no broker or
 * database is named — the stack a running `medic up` wrote to .medic/endpoints.json.
 */
export function cliConfig(env: NodeJS.ProcessEnv = process.env): MedicConfig {
  const endpoints = readEndpoints(medicHome(repoRoot(), env));
  const merged = { ...env };
  if (endpoints && !env.KAFKA_BROKERS && !env.SMITH_EVENT_BUS_URL) merged.KAFKA_BROKERS = endpoints.kafka.brokers;
  if (endpoints && !env.DATABASE_URL) merged.DATABASE_URL = endpoints.postgres.url;
  if (endpoints?.elasticsearch && !env.SIEM_ENDPOINT) merged.SIEM_ENDPOINT = endpoints.elasticsearch.url;
  return loadConfig({ env: merged });
}
