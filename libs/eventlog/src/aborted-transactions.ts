import type { Kafka } from 'kafkajs';
import { clusterDecoration } from './kafkajs-clusters';

export interface AbortedTransaction {
  readonly producerId: string;
  readonly firstOffset: string;
}

/** A record as kafkajs decodes it from a fetch (control records, the commit and abort markers, included). */
export interface FetchedRecord {
  readonly offset: string;
  readonly isControlRecord?: boolean;
  readonly batchContext?: { readonly producerId: string; readonly inTransaction: boolean };
}

/**
 * A read_committed fetch answers, for each partition, its records from the
 * fetch offset on and the transactions aborted among them (producer id and
 * first offset). kafkajs drops a producer's records from where one of those
 * transactions begins up to the producer's abort marker, but it takes the
 * list as ordered by first offset and starts at most one transaction per
 * record it passes. The broker orders the list by where each transaction
 * ended, and a fetch can begin inside several of them: kafkajs then hands out
 * records that were rolled back. Two producers aborting close together on one
 * partition are enough, as each step's two transactional ids per partition
 * do when the broker restarts (a `KillReported` rolled back and written again
 * reached the workflow and the enrichment step twice).
 *
 * So each fetch's list is restated before kafkajs reads it: one entry per
 * aborted transaction with records in the fetch, starting at its first such
 * record, in offset order. kafkajs's own filter then drops exactly what the
 * aborted transactions wrote.
 */
export function restateAborted(records: readonly FetchedRecord[], aborted: readonly AbortedTransaction[], fetchOffset: string): AbortedTransaction[] {
  const from = BigInt(fetchOffset);
  const byProducer = new Map<string, FetchedRecord[]>();
  for (const record of records) {
    const producerId = record.batchContext?.producerId;
    if (producerId === undefined) continue;
    const list = byProducer.get(producerId);
    if (list) list.push(record);
    else byProducer.set(producerId, [record]);
  }
  const restated = new Map<string, AbortedTransaction>();
  for (const txn of aborted) {
    const start = firstFetched(byProducer.get(txn.producerId) ?? [], BigInt(txn.firstOffset), from);
    if (start !== null) restated.set(`${txn.producerId}@${start}`, { producerId: txn.producerId, firstOffset: start });
  }
  return [...restated.values()].sort((a, b) => (BigInt(a.firstOffset) < BigInt(b.firstOffset) ? -1 : 1));
}

/**
 * The offset of the first record at or after the fetch offset that a
 * producer's transaction beginning at `first` wrote; null when the
 * producer's next marker (the transaction's end) comes before any.
 */
function firstFetched(records: readonly FetchedRecord[], first: bigint, from: bigint): string | null {
  for (const record of records) {
    const offset = BigInt(record.offset);
    if (offset < first) continue;
    if (record.isControlRecord || !record.batchContext?.inTransaction) return null;
    if (offset >= from) return record.offset;
  }
  return null;
}

interface FetchRequest {
  readonly topics: readonly { readonly topic: string; readonly partitions: readonly { readonly partition: number; readonly fetchOffset: string }[] }[];
}
interface FetchResponse {
  readonly responses: readonly {
    readonly topicName: string;
    readonly partitions: { readonly partition: number; abortedTransactions?: readonly AbortedTransaction[]; readonly messages?: readonly FetchedRecord[] }[];
  }[];
}
interface Broker {
  fetch(request: FetchRequest): Promise<FetchResponse>;
}
interface Cluster {
  findBroker(args: unknown): Promise<Broker>;
}

const RESTATING = Symbol('medic:restates-aborted-transactions');
const abortedFilter = clusterDecoration(restatingFetches);

/** Has every consumer of this client read aborted transactions right (see `restateAborted`). */
export function filterAbortedExactly(kafka: Kafka): Kafka {
  return abortedFilter.install(kafka);
}

/** Whether `filterAbortedExactly` could decorate this client (false means kafkajs changed underneath). */
export function abortedFilterInstalled(kafka: Kafka): boolean {
  return abortedFilter.installed(kafka);
}

/** Consumers fetch through the broker their cluster finds for a node: its fetch answers are restated. */
function restatingFetches(cluster: Cluster): Cluster {
  const find = cluster.findBroker.bind(cluster);
  cluster.findBroker = async (args: unknown) => restating(await find(args));
  return cluster;
}

function restating(broker: Broker): Broker {
  const marked = broker as Broker & { [RESTATING]?: true };
  if (marked[RESTATING]) return broker;
  const fetch = broker.fetch.bind(broker);
  broker.fetch = async (request: FetchRequest) => {
    const response = await fetch(request);
    for (const topic of response.responses) {
      const asked = request.topics.find((t) => t.topic === topic.topicName);
      for (const partition of topic.partitions) {
        if (!partition.abortedTransactions?.length) continue;
        const fetchOffset = asked?.partitions.find((p) => p.partition === partition.partition)?.fetchOffset;
        if (fetchOffset === undefined) continue;
        partition.abortedTransactions = restateAborted(partition.messages ?? [], partition.abortedTransactions, fetchOffset);
      }
    }
    return response;
  };
  marked[RESTATING] = true;
  return broker;
}
