import { randomBytes } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { createTestDatabase, testInfra } from '@medic/testing';
import { openDatabase } from './database';
import { loadPositions, slotKey, storePositions } from './step-positions';

/**
 * Two members of a group at one partition at once (a round that outlasted a
 * rebalance): the second reads the partition's position only once the first
 * has stored its own, on a real Postgres.
 */
describe('step positions read by two rounds of one partition at once', () => {
  const id = `p${randomBytes(4).toString('hex')}`;
  let ds: DataSource;
  const slot = { topic: 'kills', partition: 2 };
  const other = { topic: 'kills', partition: 1 };

  beforeAll(async () => {
    const url = await createTestDatabase(testInfra().databaseUrl, `medic_${id}`);
    ds = await openDatabase({ url, schema: 'svc', entities: [], ddl: [] });
  });
  afterAll(async () => {
    await ds?.destroy();
  });

  it("waits for the first round's position, and sees it", async () => {
    await ds.transaction((tx) => storePositions(tx, 'step', [{ ...slot, lastOffset: '9', pending: [] }]));
    const first = ds.createQueryRunner();
    await first.connect();
    await first.startTransaction();
    try {
      expect((await loadPositions(first.manager, 'step', [slot])).get(slotKey(slot.topic, slot.partition))?.lastOffset).toBe('9');
      // The second round, begun while the first is handling its records.
      let secondSaw: string | undefined;
      const second = ds.transaction(async (tx) => {
        secondSaw = (await loadPositions(tx, 'step', [other, slot])).get(slotKey(slot.topic, slot.partition))?.lastOffset;
      });
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(secondSaw).toBeUndefined();
      // Another step's position of the same partition is not held up.
      await ds.transaction((tx) => loadPositions(tx, 'another-step', [slot]));
      await storePositions(first.manager, 'step', [{ ...slot, lastOffset: '20', pending: [] }]);
      await first.commitTransaction();
      await second;
      expect(secondSaw).toBe('20');
    } finally {
      if (first.isTransactionActive) await first.rollbackTransaction();
      await first.release();
    }
  });
});
