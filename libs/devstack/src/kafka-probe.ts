import { randomUUID } from 'node:crypto';
import { Kafka, logLevel, type KafkaConfig } from 'kafkajs';

/**
 * Resolves only when the broker can serve what Medic needs: metadata (list topics), a group
 * coordinator (consumer groups) and a transaction coordinator (a transactional producer can
 * init). The last two are backed by internal topics created on first use, which is why a
 * listening port alone is not "ready". Throws "not yet"; callers poll.
 */
export async function probeKafka(brokers: string): Promise<void> {
  const kafka = probeClient([brokers], 1_000);
  const admin = kafka.admin();
  const producer = kafka.producer({
    transactionalId: `medic-devstack-probe-${randomUUID()}`,
    idempotent: true,
    maxInFlightRequests: 1,
    // kafkajs refuses an idempotent producer without retries; one quick retry is the minimum.
    retry: { retries: 1, initialRetryTime: 100 },
  });
  try {
    await admin.connect();
    await admin.listTopics();
    await admin.describeGroups(['medic-devstack-probe']);
    await producer.connect();
  } finally {
    await Promise.allSettled([producer.disconnect(), admin.disconnect()]);
  }
}

/**
 * Whether any of the brokers answers a Kafka client (a connection and the
 * cluster's metadata) within `timeoutMs`, tried once: for a command that
 * should say at once that there is no broker, rather than retry for long.
 * `security` is how the brokers are reached (TLS, SASL), as the client that
 * will use them reaches them.
 */
export async function kafkaAnswers(brokers: readonly string[], timeoutMs: number, security: Pick<KafkaConfig, 'ssl' | 'sasl'> = {}): Promise<boolean> {
  const admin = probeClient(brokers, timeoutMs, timeoutMs, security).admin();
  let timer: NodeJS.Timeout | undefined;
  // The connection, a TLS handshake, SASL and the metadata request each have a limit: the whole has this one.
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    await Promise.race([admin.connect(), late]);
    return true;
  } catch {
    return false;
  } finally {
    clearTimeout(timer);
    await admin.disconnect().catch(() => undefined);
  }
}

function probeClient(brokers: readonly string[], connectionTimeout: number, requestTimeout = 5_000, security: Pick<KafkaConfig, 'ssl' | 'sasl'> = {}): Kafka {
  return new Kafka({
    clientId: 'medic-devstack-probe',
    brokers: [...brokers],
    logLevel: logLevel.NOTHING,
    connectionTimeout,
    authenticationTimeout: requestTimeout,
    requestTimeout,
    // The caller polls or gives up; kafkajs' own back-off would only hide how long it really takes.
    retry: { retries: 0 },
    ...security,
  });
}
