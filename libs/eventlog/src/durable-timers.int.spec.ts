import { randomBytes } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { createTestDatabase, eventually, testInfra } from '@medic/testing';
import { openDatabase } from './database';
import { DurableTimers, type DurableTimersOptions } from './durable-timers';

const DDL = [
  `CREATE TABLE IF NOT EXISTS {schema}.alarms (
    alarm_id text PRIMARY KEY,
    due_at timestamptz NOT NULL,
    claimed_until timestamptz,
    firings int NOT NULL DEFAULT 0
  )`,
];

interface Alarm {
  readonly alarm_id: string;
  readonly firings: number;
}

/** Durable timers on real Postgres: replicas share due timers, leases hold them, a failed claim leaves them due. */
describe('durable timers', () => {
  const id = `d${randomBytes(4).toString('hex')}`;
  let ds: DataSource;

  beforeAll(async () => {
    const url = await createTestDatabase(testInfra().databaseUrl, `medic_${id}`);
    ds = await openDatabase({ url, schema: 'timers', entities: [], ddl: DDL });
  });
  afterAll(async () => {
    await ds?.destroy();
  });

  const timers = (opts: Partial<DurableTimersOptions<Alarm>>) =>
    new DurableTimers<Alarm>({ name: 'test', dataSource: ds, table: 'alarms', key: 'alarm_id', pollMs: 20, leaseMs: 60_000, ...opts });

  async function alarms(prefix: string, n: number, dueInMs: number): Promise<string[]> {
    const ids = Array.from({ length: n }, (_, i) => `${prefix}-${i}`);
    await ds.query(`INSERT INTO alarms (alarm_id, due_at) SELECT unnest($1::text[]), $2`, [ids, new Date(Date.now() + dueInMs).toISOString()]);
    return ids;
  }

  it('gives each due timer to one replica at a time, and none that is not due yet', async () => {
    const due = await alarms('shared', 60, -1_000);
    await alarms('later', 5, 3_600_000);
    const fired: string[] = [];
    const replica = () =>
      timers({
        batchSize: 7,
        // Slow enough that the replicas' claims overlap.
        onClaim: async (rows) => {
          fired.push(...rows.map((r) => r.alarm_id));
          await new Promise((resolve) => setTimeout(resolve, 30));
        },
      });
    const [a, b] = [replica(), replica()];
    const drain = async (t: DurableTimers<Alarm>) => {
      while ((await t.fireDue()) > 0);
    };
    await Promise.all([drain(a), drain(b), drain(a), drain(b)]);
    expect(fired.filter((f) => f.startsWith('shared-')).sort()).toEqual([...due].sort());
    expect(fired.some((f) => f.startsWith('later-'))).toBe(false);
    // Still leased: fired once, not again.
    expect(await a.fireDue()).toBe(0);
  });

  it('fires a timer again once its lease has run out, and one whose claim failed at once', async () => {
    const [leased] = await alarms('lease', 1, -1);
    const [failing] = await alarms('fail', 1, -1);
    const seen: Alarm[] = [];
    let failOnce = true;
    const t = timers({
      leaseMs: 300,
      onClaim: (rows) => {
        if (failOnce && rows.some((r) => r.alarm_id === failing)) {
          failOnce = false;
          return Promise.reject(new Error('could not append'));
        }
        seen.push(...rows.filter((r) => r.alarm_id === leased || r.alarm_id === failing));
        return Promise.resolve();
      },
    });
    await expect(t.fireDue()).rejects.toThrow('could not append');
    // The failed claim was rolled back with its transaction: both are due and fire now.
    await t.fireDue();
    expect(seen.map((r) => [r.alarm_id, r.firings]).sort()).toEqual([
      [failing, 1],
      [leased, 1],
    ]);
    expect(await t.fireDue()).toBe(0);
    await new Promise((resolve) => setTimeout(resolve, 350));
    await t.fireDue();
    expect(seen.filter((r) => r.alarm_id === leased).map((r) => r.firings)).toEqual([1, 2]);
  });

  it('works after the claim is committed, while the timer stays leased, and fires what came due while it was stopped', async () => {
    const [overdue] = await alarms('overdue', 1, -60_000);
    const after: { id: string; leased: boolean }[] = [];
    const t = timers({
      afterClaim: async (rows) => {
        for (const r of rows.filter((x) => x.alarm_id === overdue)) {
          // Another connection sees the lease: the claim is committed before this runs.
          const [row] = await ds.query<{ claimed_until: Date | null }[]>(`SELECT claimed_until FROM alarms WHERE alarm_id = $1`, [r.alarm_id]);
          after.push({ id: r.alarm_id, leased: row?.claimed_until !== null && row!.claimed_until.getTime() > Date.now() });
        }
      },
    });
    t.start();
    try {
      await eventually(() => Promise.resolve(after.length > 0 ? true : undefined), 'the overdue timer fired by the poll');
    } finally {
      await t.stop();
    }
    expect(after).toEqual([{ id: overdue, leased: true }]);
  });
});
