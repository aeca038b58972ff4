import type { KafkaJit } from './types';

export interface BrokerPorts {
  /** PLAINTEXT listener the clients use. */
  readonly client: number;
  /** KRaft controller listener, only the broker itself talks to it. */
  readonly controller: number;
}

/**
 * A second client listener, SASL_SSL, for trying TLS and SASL against a real
 * broker: TLS with a PKCS#12 keystore, SASL/PLAIN users, and (with a client CA)
 * client certificates required. The PLAINTEXT listener stays, for the
 * broker's own probes.
 */
export interface SecuredListener {
  /** The broker's key and certificate, PKCS#12, and its password. */
  readonly keystore: { readonly file: string; readonly password: string };
  /** PEM file of the CA that must have signed each client's certificate; null: none asked for. */
  readonly clientCaFile: string | null;
  /** SASL/PLAIN user names and passwords (letters, digits, `_`, `-`). */
  readonly users: Readonly<Record<string, string>>;
}

export interface BrokerConfig {
  readonly ports: BrokerPorts & { readonly secured?: number };
  readonly dataDir: string;
  readonly partitions: number;
  readonly secured?: SecuredListener;
}

/** A single-node KRaft cluster: this one process is both the broker and the whole controller quorum. */
export function serverProperties({ ports, dataDir, partitions, secured }: BrokerConfig): string {
  const extra = secured && ports.secured !== undefined ? securedListener(ports.secured, secured) : null;
  const settings: Record<string, string | number | boolean> = {
    'process.roles': 'broker,controller',
    'node.id': 1,
    'controller.quorum.voters': `1@127.0.0.1:${ports.controller}`,
    listeners: `PLAINTEXT://127.0.0.1:${ports.client},CONTROLLER://127.0.0.1:${ports.controller}${extra ? `,${extra.listener}` : ''}`,
    'advertised.listeners': `PLAINTEXT://127.0.0.1:${ports.client}${extra ? `,${extra.listener}` : ''}`,
    'controller.listener.names': 'CONTROLLER',
    'inter.broker.listener.name': 'PLAINTEXT',
    'listener.security.protocol.map': `PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT${extra ? ',SASL_SSL:SASL_SSL' : ''}`,
    ...extra?.settings,
    'log.dirs': dataDir,
    'num.partitions': partitions,
    // Topics are declared by the services, so a typo fails instead of creating a stray topic.
    'auto.create.topics.enable': false,
    // One node: every replication factor and in-sync minimum must be 1, or internal topics
    // (consumer offsets, transaction state) are never created and transactions never start.
    'default.replication.factor': 1,
    'min.insync.replicas': 1,
    'offsets.topic.replication.factor': 1,
    'transaction.state.log.replication.factor': 1,
    'transaction.state.log.min.isr': 1,
    // The defaults (50 partitions each) make the first group join and first transaction slow.
    'offsets.topic.num.partitions': 3,
    'transaction.state.log.num.partitions': 3,
    // No other members will ever join late, so do not wait for them before the first rebalance.
    'group.initial.rebalance.delay.ms': 0,
  };
  return Object.entries(settings)
    .map(([key, value]) => `${key}=${String(value)}`)
    .join('\n')
    .concat('\n');
}

function securedListener(port: number, secured: SecuredListener): { listener: string; settings: Record<string, string> } {
  const simple = /^[A-Za-z0-9_-]+$/;
  for (const [user, password] of Object.entries(secured.users)) {
    if (!simple.test(user) || !simple.test(password)) throw new Error(`SASL user ${JSON.stringify(user)}: names and passwords are letters, digits, _ and - here`);
  }
  const users = Object.entries(secured.users).map(([user, password]) => `user_${user}="${password}"`);
  const at = 'listener.name.sasl_ssl';
  return {
    listener: `SASL_SSL://127.0.0.1:${port}`,
    settings: {
      [`${at}.sasl.enabled.mechanisms`]: 'PLAIN',
      [`${at}.plain.sasl.jaas.config`]: `org.apache.kafka.common.security.plain.PlainLoginModule required ${users.join(' ')};`,
      [`${at}.ssl.keystore.type`]: 'PKCS12',
      [`${at}.ssl.keystore.location`]: secured.keystore.file,
      [`${at}.ssl.keystore.password`]: secured.keystore.password,
      ...(secured.clientCaFile === null
        ? {}
        : { [`${at}.ssl.client.auth`]: 'required', [`${at}.ssl.truststore.type`]: 'PEM', [`${at}.ssl.truststore.location`]: secured.clientCaFile }),
    },
  };
}

/** Everything to stdout, which the starter sends to the broker's log file. */
export function log4jProperties(): string {
  return [
    'log4j.rootLogger=INFO, stdout',
    'log4j.appender.stdout=org.apache.log4j.ConsoleAppender',
    'log4j.appender.stdout.layout=org.apache.log4j.PatternLayout',
    'log4j.appender.stdout.layout.ConversionPattern=[%d] %p %m (%c)%n',
    // Per-request noise nobody reads in a dev stack.
    'log4j.logger.kafka.request.logger=WARN',
    'log4j.logger.state.change.logger=WARN',
    '',
  ].join('\n');
}

/** JVM flags: a small heap so several stacks fit on one machine. */
export function jvmArgs(libs: string, log4jFile: string, jit: KafkaJit = 'quick'): string[] {
  return [
    '-Xms256m',
    '-Xmx512m',
    // On a small machine shared with Postgres and the services, one GC thread costs less CPU
    // than G1's concurrent workers; a heap this size pauses for a few milliseconds.
    '-XX:+UseSerialGC',
    // C1 only: the C2 compiler would spend most of a core for minutes after each start,
    // which a 2-core machine running the whole stack cannot spare for a short run.
    ...(jit === 'quick' ? ['-XX:TieredStopAtLevel=1'] : []),
    '-XX:+ExitOnOutOfMemoryError',
    '-Djava.awt.headless=true',
    `-Dlog4j.configuration=file:${log4jFile}`,
    '-cp',
    `${libs}/*`,
  ];
}
