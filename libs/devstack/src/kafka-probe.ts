import { randomUUID } from 'node:crypto';
import { Kafka, logLevel } from 'kafkajs';

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
 */
export async function kafkaAnswers(brokers: readonly string[], timeoutMs: number): Promise<boolean> {
  const admin = probeClient(brokers, timeoutMs).admin();
  try {
    await admin.connect();
    return true;
  } catch {
    return false;
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

function probeClient(brokers: readonly string[], connectionTimeout: number): Kafka {
  return new Kafka({
    clientId: 'medic-devstack-probe',
    brokers: [...brokers],
    logLevel: logLevel.NOTHING,
    connectionTimeout,
    requestTimeout: 5_000,
    // The caller polls or gives up; kafkajs' own back-off would only hide how long it really takes.
    retry: { retries: 0 },
  });
}
