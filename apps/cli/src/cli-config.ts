import { connect } from 'node:net';
import type { Kafka } from 'kafkajs';
import { kafkaBrokerList, loadConfig, type MedicConfig } from '@medic/config';
import { repoRoot } from '@medic/devstack';
import { createKafka, kafkaSettings } from '@medic/eventlog';
import { medicHome, readEndpoints } from './endpoints';

/** How long a broker may take to accept a connection before a command gives up on it. */
const BROKER_CONNECT_MS = 2_000;

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

/**
 * The event log's Kafka for a command, once one of its brokers accepts a
 * connection. With none listening (no `medic up` running, a wrong
 * KAFKA_BROKERS) the command stops at once, saying where it looked and what
 * to do, instead of kafkajs retrying for half a minute.
 */
export async function cliKafka(config: MedicConfig, clientId: string): Promise<Kafka> {
  const brokers = kafkaBrokerList(config);
  const answers = await Promise.all(brokers.map((b) => accepts(b, BROKER_CONNECT_MS)));
  if (!answers.some(Boolean)) {
    throw new CliError(
      `no Kafka broker answers at ${brokers.join(', ')} (kafka.brokers): start Medic with \`npm start\` (its stack is found through ${medicHome(repoRoot(), process.env)}/endpoints.json), or name the brokers with KAFKA_BROKERS`,
    );
  }
  return createKafka(kafkaSettings(config, clientId));
}

function accepts(broker: string, timeoutMs: number): Promise<boolean> {
  const at = broker.lastIndexOf(':');
  const host = broker.slice(0, at).replace(/^\[|\]$/g, '');
  return new Promise((resolve) => {
    const socket = connect({ host, port: Number(broker.slice(at + 1)), timeout: timeoutMs });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.once('connect', () => done(true));
    socket.once('timeout', () => done(false));
    socket.once('error', () => done(false));
  });
}
