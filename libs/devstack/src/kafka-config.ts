import type { KafkaJit } from './types';

export interface BrokerPorts {
  /** PLAINTEXT listener the clients use. */
  readonly client: number;
  /** KRaft controller listener, only the broker itself talks to it. */
  readonly controller: number;
}

export interface BrokerConfig {
  readonly ports: BrokerPorts;
  readonly dataDir: string;
  readonly partitions: number;
}

/** A single-node KRaft cluster: this one process is both the broker and the whole controller quorum. */
export function serverProperties({ ports, dataDir, partitions }: BrokerConfig): string {
  const settings: Record<string, string | number | boolean> = {
    'process.roles': 'broker,controller',
    'node.id': 1,
    'controller.quorum.voters': `1@127.0.0.1:${ports.controller}`,
    listeners: `PLAINTEXT://127.0.0.1:${ports.client},CONTROLLER://127.0.0.1:${ports.controller}`,
    'advertised.listeners': `PLAINTEXT://127.0.0.1:${ports.client}`,
    'controller.listener.names': 'CONTROLLER',
    'inter.broker.listener.name': 'PLAINTEXT',
    'listener.security.protocol.map': 'PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
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
