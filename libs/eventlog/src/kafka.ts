import { Kafka, logLevel, Partitioners, type Admin, type KafkaConfig, type SASLOptions, type ConsumerConfig, type ITopicConfig, type LogEntry, type ProducerConfig } from 'kafkajs';
import type { KafkaSecurity } from '@medic/config';
import { Logger } from '@medic/observability';
import { registerCompressionCodecs } from './compression';
import { cacheCoordinators } from './coordinator-cache';
import { messageOf, ROUND_FAILED_PREFIX } from './failure-streak';

// Once, for every process that reaches Kafka through this library: records another client
// compressed with snappy, lz4 or zstd would otherwise stop its consumers for good.
registerCompressionCodecs();

export interface KafkaSettings {
  readonly brokers: readonly string[];
  readonly clientId: string;
  /** How long the broker may hold a fetch when no data is there (kafkajs waits 5 s by default). */
  readonly maxWaitMs: number;
  readonly sessionTimeoutMs: number;
  /** TLS and SASL to the brokers (kafka.tls, kafka.sasl); plaintext without. */
  readonly security?: KafkaSecurity;
}

const LEVELS: Record<number, 'error' | 'warn' | 'info' | 'debug'> = {
  [logLevel.ERROR]: 'error',
  [logLevel.WARN]: 'warn',
  [logLevel.INFO]: 'info',
  [logLevel.DEBUG]: 'debug',
};

const TRANSIENT = /concurrent operation on the same transaction|coordinator is loading|not the correct coordinator|coordinator is not available/;

/** kafkajs logs through our JSON logger; its chatty INFO lines are kept at DEBUG. */
function logCreator(logger: Logger) {
  return () =>
    ({ level, log }: LogEntry) => {
      const { message, ...rest } = log as { message: string; logger?: string; error?: unknown };
      const ctx = { kafka_namespace: rest.logger, ...(rest.error ? { error: rest.error } : {}) };
      // kafkajs logs every refused request as an error, retried or not (e.g. a transaction
      // begun while the last one's markers are written); what finally fails reaches us thrown.
      // A round of the kit that failed is thrown to kafkajs to be retried, after the step has told it (see FailureStreak).
      const told = `${message} ${messageOf(rest.error)}`.includes(ROUND_FAILED_PREFIX);
      const transient = message.startsWith('Response ') || TRANSIENT.test(message) || told;
      const method = transient ? 'debug' : (LEVELS[level] ?? 'debug');
      if (method === 'error') logger.error(message, ctx);
      else if (method === 'warn') logger.warn(message, ctx);
      else logger.debug(message, ctx);
    };
}

export function createKafka(settings: KafkaSettings, logger = new Logger('medic.kafka')): Kafka {
  const kafka = new Kafka({
    clientId: settings.clientId,
    brokers: [...settings.brokers],
    logLevel: logLevel.WARN,
    logCreator: logCreator(logger),
    retry: { initialRetryTime: 100, retries: 8 },
    ...clientSecurity(settings.security),
  });
  return cacheCoordinators(kafka);
}

/** `kafka.tls` and `kafka.sasl` as a kafkajs client takes them: nothing for plaintext. */
export function clientSecurity(security: KafkaSecurity | undefined): Pick<KafkaConfig, 'ssl' | 'sasl'> {
  return {
    ...(security?.ssl ? { ssl: security.ssl } : {}),
    ...(security?.sasl ? { sasl: { ...security.sasl } as SASLOptions } : {}),
  };
}

/**
 * Producer settings for exactly-once writes: idempotent, one request in flight,
 * and retries of retriable errors without a count limit (a limit would let a
 * retry give up half way and break the guarantees).
 */
export const EOS_PRODUCER: ProducerConfig = {
  idempotent: true,
  // Kafka keeps an idempotent producer's order with up to 5 requests in flight; kafkajs sends a
  // producer's record batches to a broker one at a time anyway (its per-broker lock), so what may
  // overlap is a transaction's other requests: adding the offsets while the records are written.
  maxInFlightRequests: 5,
  allowAutoTopicCreation: false,
  createPartitioner: Partitioners.DefaultPartitioner,
  // A new transaction right after a commit is refused (CONCURRENT_TRANSACTIONS) until the
  // broker has written the commit markers, a few ms later: retry soon, not after kafkajs' 300 ms.
  retry: { retries: Number.MAX_SAFE_INTEGER, initialRetryTime: 20, maxRetryTime: 1_000 },
};

export function parseBrokers(value: string): string[] {
  return value
    .split(',')
    .map((b) => b.trim())
    .filter((b) => b.length > 0);
}

export interface TopicSpec {
  readonly topic: string;
  readonly partitions: number;
  readonly replicationFactor: number;
}

/** The log is forever: nothing in Medic's topics is ever deleted by time or size. */
const FOREVER: ITopicConfig['configEntries'] = [
  { name: 'retention.ms', value: '-1' },
  { name: 'retention.bytes', value: '-1' },
  { name: 'cleanup.policy', value: 'delete' },
];

/** Creates missing topics with infinite retention; existing topics are left as they are. */
export async function ensureTopics(admin: Admin, specs: readonly TopicSpec[]): Promise<void> {
  const existing = new Set(await admin.listTopics());
  const missing = specs.filter((s) => !existing.has(s.topic));
  if (missing.length > 0) await createMissing(admin, missing);
  // Whoever created them, and however recently, their partitions may still be without a
  // leader; consuming or producing then fails with "This server does not host this topic-partition".
  await waitForLeaders(admin, specs.map((s) => s.topic));
}

async function createMissing(admin: Admin, missing: readonly TopicSpec[]): Promise<void> {
  try {
    await admin.createTopics({
      // kafkajs' own wait gives up at once when the broker's metadata does not know the new topic
      // yet (UNKNOWN_TOPIC_OR_PARTITION); `waitForLeaders` below waits for it instead.
      waitForLeaders: false,
      topics: missing.map((s) => ({
        topic: s.topic,
        numPartitions: s.partitions,
        replicationFactor: s.replicationFactor,
        configEntries: FOREVER,
      })),
    });
  } catch (error) {
    // Another process may have created them between list and create.
    if ((error as { type?: string }).type !== 'TOPIC_ALREADY_EXISTS') throw error;
  }
}

const LEADER_WAIT_MS = 30_000;

async function waitForLeaders(admin: Admin, topics: readonly string[]): Promise<void> {
  const deadline = Date.now() + LEADER_WAIT_MS;
  for (;;) {
    const led = await admin
      .fetchTopicMetadata({ topics: [...topics] })
      .then(({ topics: found }) => found.length === topics.length && found.every((t) => t.partitions.length > 0 && t.partitions.every((p) => p.leader >= 0)))
      .catch(() => false);
    if (led) return;
    if (Date.now() > deadline) throw new Error(`topics ${topics.join(', ')} have partitions without a leader after ${LEADER_WAIT_MS / 1000} s`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** A consumer of the log: committed records only, low fetch latency, no topic created by accident. */
export function logConsumerConfig(groupId: string, maxWaitMs: number, sessionTimeoutMs: number): ConsumerConfig {
  return {
    groupId,
    maxWaitTimeInMs: maxWaitMs,
    sessionTimeout: sessionTimeoutMs,
    heartbeatInterval: Math.max(500, Math.floor(sessionTimeoutMs / 5)),
    readUncommitted: false,
    allowAutoTopicCreation: false,
  };
}

/** `ensureTopics` with its own admin connection. */
export async function provisionTopics(kafka: Kafka, topics: readonly string[], layout: { partitions: number; replicationFactor: number }): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    await ensureTopics(admin, topics.map((topic) => ({ topic, ...layout })));
  } finally {
    await admin.disconnect();
  }
}
