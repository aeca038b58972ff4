import type { Kafka } from 'kafkajs';

/**
 * kafkajs looks up the transaction coordinator before every step of a
 * transaction (adding partitions, adding offsets, committing) and the group
 * coordinator before committing offsets: four FindCoordinator round trips per
 * transaction on top of the five that do the work. A coordinator only moves
 * when a broker fails or its internal partition is reassigned, so each client
 * remembers the answer per id and asks again once that coordinator says it
 * is not (or not yet) the coordinator, or cannot be reached. Other refusals,
 * such as the previous transaction's markers still being written, keep it.
 *
 * kafkajs exposes no hook for this; the cluster each producer, consumer and
 * admin client builds is decorated where the Kafka instance creates it. The
 * kafkajs version is pinned, and `coordinatorCacheInstalled` plus the
 * request-count test fail loudly if an upgrade moves that seam.
 */
const CREATE_CLUSTER = 'private:Kafka:createCluster';

interface LookUp {
  readonly groupId: string;
  readonly coordinatorType?: number;
}
type Broker = object;
interface Cluster {
  findGroupCoordinator(args: LookUp): Promise<Broker>;
}
type CreateCluster = (options: unknown) => Cluster;

const installed = new WeakSet<Kafka>();

export function cacheCoordinators(kafka: Kafka): Kafka {
  const key = Object.getOwnPropertySymbols(kafka).find((s) => s.description === CREATE_CLUSTER);
  const holder = kafka as unknown as Record<symbol, CreateCluster | undefined>;
  const create = key ? holder[key] : undefined;
  if (!key || typeof create !== 'function') return kafka;
  holder[key] = (options: unknown) => withCoordinatorCache(create(options));
  installed.add(kafka);
  return kafka;
}

/** Whether `cacheCoordinators` could decorate this client (false means kafkajs changed underneath). */
export function coordinatorCacheInstalled(kafka: Kafka): boolean {
  return installed.has(kafka);
}

function withCoordinatorCache(cluster: Cluster): Cluster {
  const lookUp = cluster.findGroupCoordinator.bind(cluster);
  const known = new Map<string, Promise<Broker>>();
  const forget = (id: string, entry: Promise<Broker>) => {
    if (known.get(id) === entry) known.delete(id);
  };
  cluster.findGroupCoordinator = (args: LookUp) => {
    const id = `${args.coordinatorType ?? 0}:${args.groupId}`;
    const hit = known.get(id);
    if (hit) return hit;
    const entry: Promise<Broker> = lookUp(args).then((broker) => forgettingOnError(broker, () => forget(id, entry)));
    known.set(id, entry);
    entry.catch(() => forget(id, entry));
    return entry;
  };
  return cluster;
}

/** Errors after which the coordinator has to be looked up again. */
const COORDINATOR_ERRORS = new Set(['NOT_COORDINATOR', 'COORDINATOR_NOT_AVAILABLE', 'COORDINATOR_LOAD_IN_PROGRESS']);
const CONNECTION_ERRORS = new Set(['KafkaJSConnectionError', 'KafkaJSConnectionClosedError', 'KafkaJSRequestTimeoutError', 'KafkaJSBrokerNotFound']);

function movedOrGone(error: unknown): boolean {
  const e = error as { type?: unknown; name?: unknown; code?: unknown } | null;
  return (
    typeof e !== 'object' ||
    e === null ||
    COORDINATOR_ERRORS.has(String(e.type)) ||
    CONNECTION_ERRORS.has(String(e.name)) ||
    e.code === 'ECONNREFUSED'
  );
}

/** The broker as callers see it: a request through it that finds the coordinator moved or gone drops the cached entry. */
function forgettingOnError(broker: Broker, forget: () => void): Broker {
  return new Proxy(broker, {
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]): unknown => {
        try {
          const result: unknown = Reflect.apply(value, target, args);
          if (result instanceof Promise) {
            return result.catch((error: unknown) => {
              if (movedOrGone(error)) forget();
              throw error;
            });
          }
          return result;
        } catch (error) {
          if (movedOrGone(error)) forget();
          throw error;
        }
      };
    },
  });
}
