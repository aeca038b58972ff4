import { randomUUID } from 'node:crypto';
import { Kafka, logLevel } from 'kafkajs';

/**
 * Resolves only when the broker can serve what Medic needs: metadata (list topics), a group
 * coordinator (consumer groups) and a transaction coordinator (a transactional producer can
 * init). The last two are backed by internal topics created on first use, which is why a
 * listening port alone is not "ready". Throws "not yet"; callers poll.
 */
export async function probeKafka(brokers: string): Promise<void> {
  const kafka = new Kafka({
    clientId: 'medic-devstack-probe',
    brokers: [brokers],
    logLevel: logLevel.NOTHING,
    connectionTimeout: 1_000,
    requestTimeout: 5_000,
    // The caller polls; kafkajs' own back-off would only hide how long start-up really takes.
    retry: { retries: 0 },
  });
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
