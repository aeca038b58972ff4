import { readFileSync } from 'node:fs';
import type { Kafka } from 'kafkajs';
import { kafkaBrokerList, loadConfig, type MedicConfig } from '@medic/config';
import { kafkaAnswers, repoRoot } from '@medic/devstack';
import { clientSecurity, createKafka, kafkaSettings } from '@medic/eventlog';
import { configureLogging } from '@medic/observability';
import { CliError, shown } from './cli-error';
import { endpoint, medicHome, readEndpoints } from './endpoints';

/** How long a broker may take to answer before a command gives up on it. */
const BROKER_CONNECT_MS = 2_000;

export { CliError, shown } from './cli-error';


/**
 * Where what the libraries log while a command runs goes (kafkajs retrying a
 * broker that went away, say): standard error, one line of text each.
 * Standard output carries the command's own output, which `--json` makes a
 * document for another program.
 */
export function logToStderr(write: (text: string) => void = (text) => process.stderr.write(text)): void {
  configureLogging({ format: 'text', sink: (line) => write(`${line}\n`) });
}

/**
 * Config for the replay commands: the usual env and file, and — when no broker or
 * database is named — the stack a running `medic up` wrote to .medic/endpoints.json.
 */
export function cliConfig(env: NodeJS.ProcessEnv = process.env): MedicConfig {
  const file = readEndpoints(medicHome(repoRoot(), env));
  const merged = { ...env };
  if (file !== null) {
    // Only what the environment does not name is taken from the file, and each is checked as it is taken.
    if (!env.KAFKA_BROKERS && !env.SMITH_EVENT_BUS_URL) merged.KAFKA_BROKERS = endpoint(file, 'kafka.brokers', 'KAFKA_BROKERS');
    if (!env.DATABASE_URL) merged.DATABASE_URL = endpoint(file, 'postgres.url', 'DATABASE_URL');
    const siem = env.SIEM_ENDPOINT ? null : endpoint(file, 'elasticsearch.url', 'SIEM_ENDPOINT', { optional: true });
    if (siem !== null) merged.SIEM_ENDPOINT = siem;
  }
  return loadConfig({ env: merged });
}

/** A file the user named, as text; one that cannot be read is a usage error naming it. */
export function readInputFile(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    throw new CliError(`cannot read ${shown(file)}: ${shown((error as Error).message)}`, 2);
  }
}

/**
 * The event log's Kafka for a command, once one of its brokers answers a
 * Kafka client. With none answering (no `medic up` running, a wrong
 * KAFKA_BROKERS) the command stops at once, saying where it looked and what
 * to do, instead of kafkajs retrying for half a minute.
 */
export async function cliKafka(config: MedicConfig, clientId: string): Promise<Kafka> {
  const brokers = kafkaBrokerList(config);
  // Read first: a TLS file that cannot be read is a config error, and the brokers are asked over TLS and SASL as configured.
  const settings = kafkaSettings(config, clientId);
  if (!(await kafkaAnswers(brokers, BROKER_CONNECT_MS, clientSecurity(settings.security)))) {
    throw new CliError(
      `no Kafka broker answers at ${brokers.join(', ')} (kafka.brokers): start Medic with \`npm start\` (its stack is found through ${medicHome(repoRoot(), process.env)}/endpoints.json), or name the brokers with KAFKA_BROKERS`,
    );
  }
  return createKafka(settings);
}

/** Which of `topics` the cluster holds: reading a topic that is not there would retry for twenty seconds, then fail vaguely. */
export async function topicsPresent(kafka: Kafka, topics: readonly string[]): Promise<Set<string>> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    return new Set(topics.filter((t) => existing.has(t)));
  } finally {
    await admin.disconnect();
  }
}

/** A log topic a command must read and the brokers do not have. */
export function noSuchLog(config: MedicConfig, topic: string): CliError {
  return new CliError(`topic ${topic} does not exist at ${kafkaBrokerList(config).join(', ')}: there is no Medic event log there (are these the brokers of Medic's stack, and has Medic run on them?)`);
}
