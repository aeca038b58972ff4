import type { Kafka } from 'kafkajs';

/**
 * kafkajs builds a cluster (brokers, metadata, coordinators) for each
 * producer, consumer and admin client it makes, and offers no hook into it.
 * Medic decorates that cluster where the Kafka instance creates it, to remedy
 * what kafkajs does wastefully (see coordinator-cache); what it does wrongly
 * inside a module is patched (patches/kafkajs+2.2.4.patch). The kafkajs
 * version is pinned; each decoration says whether it could be installed, and
 * its tests fail loudly if an upgrade moves this seam.
 */
const CREATE_CLUSTER = 'private:Kafka:createCluster';

type CreateCluster = (options: unknown) => unknown;

/** A decoration of kafkajs clusters: `install` has every cluster a client builds from then on pass through it. */
export interface ClusterDecoration {
  install(kafka: Kafka): Kafka;
  /** Whether `install` could decorate this client (false means kafkajs changed underneath). */
  installed(kafka: Kafka): boolean;
}

export function clusterDecoration<C>(decorate: (cluster: C) => C): ClusterDecoration {
  const decorated = new WeakSet<Kafka>();
  return {
    install(kafka) {
      const key = Object.getOwnPropertySymbols(kafka).find((s) => s.description === CREATE_CLUSTER);
      const holder = kafka as unknown as Record<symbol, CreateCluster | undefined>;
      const create = key ? holder[key] : undefined;
      if (!key || typeof create !== 'function') return kafka;
      holder[key] = (options: unknown) => decorate(create(options) as C);
      decorated.add(kafka);
      return kafka;
    },
    installed: (kafka) => decorated.has(kafka),
  };
}
