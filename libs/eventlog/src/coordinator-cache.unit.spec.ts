import type { Kafka } from 'kafkajs';
import { cacheCoordinators, coordinatorCacheInstalled } from './coordinator-cache';

/** Stands in for the cluster kafkajs builds per client: counts lookups, hands out brokers. */
class CountingCluster {
  lookups: string[] = [];
  failNextLookup = false;
  findGroupCoordinator({ groupId }: { groupId: string; coordinatorType?: number }): Promise<object> {
    this.lookups.push(groupId);
    if (this.failNextLookup) {
      this.failNextLookup = false;
      return Promise.reject(new Error('coordinator not available'));
    }
    const nodeId = this.lookups.length;
    return Promise.resolve({
      nodeId,
      endTxn: (outcome: string) =>
        outcome === 'ok' ? Promise.resolve(nodeId) : Promise.reject(Object.assign(new Error(outcome), { type: outcome, name: 'KafkaJSProtocolError' })),
    });
  }
}

function clientWith(cluster: CountingCluster): { kafka: Kafka; cluster: () => CountingCluster } {
  const symbol = Symbol('private:Kafka:createCluster');
  let built: CountingCluster | null = null;
  const kafka = { [symbol]: () => (built = cluster) } as unknown as Kafka;
  cacheCoordinators(kafka);
  return {
    kafka,
    cluster: () => {
      (kafka as unknown as Record<symbol, (o: unknown) => unknown>)[symbol]!({});
      return built!;
    },
  };
}

type Coordinator = { nodeId: number; endTxn(outcome: string): Promise<number> };
const find = (c: CountingCluster, groupId: string, coordinatorType = 1) => c.findGroupCoordinator({ groupId, coordinatorType }) as Promise<Coordinator>;

describe('coordinator cache', () => {
  it('asks once per id and coordinator type', async () => {
    const { kafka, cluster } = clientWith(new CountingCluster());
    const c = cluster();
    expect(coordinatorCacheInstalled(kafka)).toBe(true);
    const first = await find(c, 'tx-a');
    expect((await find(c, 'tx-a')).nodeId).toBe(first.nodeId);
    await find(c, 'tx-b');
    await find(c, 'tx-a', 0);
    expect(c.lookups).toEqual(['tx-a', 'tx-b', 'tx-a']);
  });

  it('keeps the coordinator through refusals that are not about it', async () => {
    const c = clientWith(new CountingCluster()).cluster();
    const first = await find(c, 'tx-a');
    await expect(first.endTxn('ok')).resolves.toBe(first.nodeId);
    await expect(first.endTxn('CONCURRENT_TRANSACTIONS')).rejects.toThrow('CONCURRENT_TRANSACTIONS');
    expect((await find(c, 'tx-a')).nodeId).toBe(first.nodeId);
    expect(c.lookups).toEqual(['tx-a']);
  });

  it.each(['NOT_COORDINATOR', 'COORDINATOR_NOT_AVAILABLE', 'COORDINATOR_LOAD_IN_PROGRESS'])('asks again after the coordinator answered %s', async (type) => {
    const c = clientWith(new CountingCluster()).cluster();
    const first = await find(c, 'tx-a');
    await expect(first.endTxn(type)).rejects.toThrow(type);
    const second = await find(c, 'tx-a');
    expect(second.nodeId).not.toBe(first.nodeId);
    expect(c.lookups).toEqual(['tx-a', 'tx-a']);
  });

  it('does not remember a failed lookup', async () => {
    const counting = new CountingCluster();
    const c = clientWith(counting).cluster();
    counting.failNextLookup = true;
    await expect(find(c, 'tx-a')).rejects.toThrow('coordinator not available');
    await expect(find(c, 'tx-a')).resolves.toMatchObject({ nodeId: 2 });
    expect(c.lookups).toEqual(['tx-a', 'tx-a']);
  });

  it('leaves a client it cannot decorate as it is', () => {
    const kafka = {} as Kafka;
    expect(cacheCoordinators(kafka)).toBe(kafka);
    expect(coordinatorCacheInstalled(kafka)).toBe(false);
  });
});
