import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Kafka } from 'kafkajs';
import { ConfigError, parseConfig, type MedicConfig } from '@medic/config';
import { kafkaAnswers, startKafka, type KafkaHandle } from '@medic/devstack';
import { makeTestCertificates } from '@medic/testing';
import { clientSecurity, createKafka, EOS_PRODUCER } from './kafka';
import { kafkaSettings } from './nest/core.module';

/**
 * kafka.tls and kafka.sasl against a real broker's SASL_SSL listener (TLS,
 * client certificates required, SASL/PLAIN): Medic's own client, made from
 * the config as every service makes it, runs a transaction and reads it back;
 * a wrong password or a missing certificate is refused by the broker.
 */
describe('Kafka over TLS with SASL (kafka.tls, kafka.sasl)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'medic-kafka-tls-'));
  const pki = makeTestCertificates(dir);
  let broker: KafkaHandle;
  const clients: Kafka[] = [];

  beforeAll(async () => {
    broker = await startKafka({ workDir: join(dir, 'stack'), kafkaPartitions: 1, kafkaSecured: { keystore: { file: pki.serverKeystore, password: pki.keystorePassword }, clientCaFile: pki.ca, users: { medic: 'medic-secret' } } });
  });
  afterAll(async () => {
    await broker?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const yaml = (overrides: { password?: string; cert?: string; key?: string } = {}) =>
    [
      'kafka:',
      `  brokers: "${broker.securedBrokers}"`,
      '  tls:',
      '    enabled: true',
      `    ca_file: ${pki.ca}`,
      `    cert_file: ${overrides.cert ?? pki.clientCert}`,
      `    key_file: ${overrides.key ?? pki.clientKey}`,
      '  sasl:',
      '    mechanism: plain',
      '    username: medic',
      `    password: ${overrides.password ?? 'medic-secret'}`,
      '',
    ].join('\n');
  const client = (config: MedicConfig): Kafka => {
    const kafka = createKafka({ ...kafkaSettings(config, 'tls-test'), maxWaitMs: 50 });
    clients.push(kafka);
    return kafka;
  };

  it('runs a transaction and reads it back through Medic\'s client', async () => {
    expect(broker.securedBrokers).toMatch(/^127\.0\.0\.1:\d+$/);
    const kafka = client(parseConfig(yaml()));
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ waitForLeaders: true, topics: [{ topic: 'secured', numPartitions: 1 }] });
    await admin.disconnect();
    const producer = kafka.producer({ ...EOS_PRODUCER, transactionalId: 'tls-test' });
    await producer.connect();
    const txn = await producer.transaction();
    await txn.send({ topic: 'secured', messages: [{ key: 'k', value: 'over TLS' }] });
    await txn.commit();
    await producer.disconnect();
    const consumer = kafka.consumer({ groupId: 'tls-test', maxWaitTimeInMs: 50 });
    await consumer.connect();
    await consumer.subscribe({ topic: 'secured', fromBeginning: true });
    const read = new Promise<string>((resolve) => void consumer.run({ eachMessage: ({ message }) => Promise.resolve(resolve(message.value!.toString())) }));
    expect(await read).toBe('over TLS');
    await consumer.disconnect();
  });

  it("answers the CLI's quick broker check over TLS and SASL, and only so", async () => {
    const security = (config: MedicConfig) => clientSecurity(kafkaSettings(config, 'tls-test').security);
    const secured = [broker.securedBrokers ?? 'no secured listener'];
    expect(await kafkaAnswers(secured, 5_000, security(parseConfig(yaml())))).toBe(true);
    // In plaintext, or with a wrong password, the secured listener does not answer a Kafka client.
    expect(await kafkaAnswers(secured, 2_000)).toBe(false);
    expect(await kafkaAnswers(secured, 5_000, security(parseConfig(yaml({ password: 'guess' }))))).toBe(false);
  });

  it('is refused by the broker with a wrong password', async () => {
    const admin = client(parseConfig(yaml({ password: 'guess' }))).admin({ retry: { retries: 0 } });
    await expect(admin.connect()).rejects.toThrow(/SASL PLAIN authentication failed|Authentication failed/i);
  });

  it('is refused by the broker with a certificate its CA did not sign', async () => {
    const admin = client(parseConfig(yaml({ cert: pki.strangerCert, key: pki.strangerKey }))).admin({ retry: { retries: 0 } });
    await expect(admin.connect()).rejects.toThrow();
  });

  it('refuses files it cannot use as a configuration error naming the key, before connecting', () => {
    const missing = parseConfig(yaml({ cert: join(dir, 'missing.crt') }));
    expect(() => kafkaSettings(missing, 'tls-test')).toThrow(ConfigError);
    expect(() => kafkaSettings(missing, 'tls-test')).toThrow(/kafka\.tls\.cert_file: cannot read .*missing\.crt: ENOENT/);
    // The key of another certificate.
    expect(() => kafkaSettings(parseConfig(yaml({ key: pki.strangerKey })), 'tls-test')).toThrow(/kafka\.tls: the certificate, key or CA cannot be used: .*key values mismatch/);
  });
});
