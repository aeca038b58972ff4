import { randomBytes } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { createTestDatabase, testInfra } from '@medic/testing';
import { openDatabase } from './database';

// DDL of the kind services run at every start: each statement locks its table before it finds nothing to do.
const DDL = [
  'CREATE TABLE IF NOT EXISTS {schema}.a (id int PRIMARY KEY)',
  'CREATE TABLE IF NOT EXISTS {schema}.b (id int PRIMARY KEY)',
  'ALTER TABLE {schema}.a ADD COLUMN IF NOT EXISTS note text',
  'CREATE INDEX IF NOT EXISTS a_note ON {schema}.a (note)',
  'ALTER TABLE {schema}.b ADD COLUMN IF NOT EXISTS note text',
];

/** Opening a service's schema beside the live workload on its tables, on a real Postgres. */
describe('openDatabase beside a live workload', () => {
  const id = `d${randomBytes(4).toString('hex')}`;
  let url: string;
  let live: DataSource;
  const opened: DataSource[] = [];
  const open = async (ddl: readonly string[]) => {
    const ds = await openDatabase({ url, schema: 'svc', entities: [], ddl });
    opened.push(ds);
    return ds;
  };

  beforeAll(async () => {
    url = await createTestDatabase(testInfra().databaseUrl, `medic_${id}`);
    live = await open(DDL);
  });
  afterAll(async () => {
    await Promise.all(opened.map((ds) => ds.destroy()));
  });

  /** A writer's transaction left open on `table` (a service's batch in flight), until `release` is called. */
  async function writerOn(table: string, row: number) {
    const runner = live.createQueryRunner();
    await runner.connect();
    await runner.startTransaction();
    await runner.query(`INSERT INTO svc.${table} (id) VALUES ($1)`, [row]);
    return {
      runner,
      release: async () => {
        await runner.commitTransaction().catch(() => runner.rollbackTransaction());
        await runner.release();
      },
    };
  }

  it('makes a new schema once when several open it at the same moment', async () => {
    const schema = `fresh_${randomBytes(3).toString('hex')}`;
    const all = await Promise.all([1, 2, 3, 4].map(() => openDatabase({ url, schema, entities: [], ddl: DDL })));
    opened.push(...all);
    const tables = await all[0]!.query<{ tablename: string }[]>('SELECT tablename FROM pg_tables WHERE schemaname = $1 ORDER BY tablename', [schema]);
    expect(tables.map((t) => t.tablename)).toEqual(expect.arrayContaining(['a', 'b', 'schema_ddl']));
    const recorded = await all[0]!.query<{ n: string }[]>(`SELECT count(*)::text AS n FROM ${schema}.schema_ddl`);
    expect(recorded[0]!.n).toBe('1');
  });

  it('runs none of the DDL it applied before, so a writer in flight holds nothing up', async () => {
    const writer = await writerOn('a', 1);
    try {
      const started = Date.now();
      // With the DDL run again this would wait for the writer's transaction (ALTER TABLE takes its lock first).
      await open(DDL);
      expect(Date.now() - started).toBeLessThan(2_000);
    } finally {
      await writer.release();
    }
  });

  it('applies changed DDL once the writers let it, and a deadlock with one is tried again', async () => {
    const changed = [...DDL, 'CREATE INDEX IF NOT EXISTS b_note ON {schema}.b (note)'];
    // A writer holds b; the new DDL locks a, then waits for b; the writer then wants a: a deadlock,
    // which Postgres breaks by failing the DDL's transaction (it waited first, so it checks first).
    const writer = await writerOn('b', 1);
    const opening = open(changed);
    await new Promise((resolve) => setTimeout(resolve, 300));
    const writerInsert = writer.runner.query('INSERT INTO svc.a (id) VALUES (2)').then(
      () => 'inserted',
      (error: Error) => error.message,
    );
    const writerOutcome = await writerInsert;
    await writer.release();
    const ds = await opening;
    expect(['inserted', 'deadlock detected']).toContain(writerOutcome);
    const indexes = await ds.query<{ indexname: string }[]>("SELECT indexname FROM pg_indexes WHERE schemaname = 'svc' AND indexname = 'b_note'");
    expect(indexes).toHaveLength(1);
    const recorded = await ds.query<{ n: string }[]>('SELECT count(*)::text AS n FROM svc.schema_ddl');
    expect(recorded[0]!.n).toBe('1');
  });
});

/** Which service a session belongs to, as Postgres shows it (pg_stat_activity). */
describe('openDatabase names its sessions', () => {
  const id = `n${randomBytes(4).toString('hex')}`;
  let url: string;
  const opened: DataSource[] = [];
  const nameOf = async (ds: DataSource) => (await ds.query<{ name: string }[]>('SELECT application_name AS name FROM pg_stat_activity WHERE pid = pg_backend_pid()'))[0]!.name;

  beforeAll(async () => {
    url = await createTestDatabase(testInfra().databaseUrl, `medic_${id}`);
  });
  afterAll(async () => {
    await Promise.all(opened.map((ds) => ds.destroy()));
  });

  it("as the service asked, unless the URL names them (the operator's name is kept)", async () => {
    const named = await openDatabase({ url, schema: 'svc', entities: [], ddl: [], applicationName: 'medic-decision' });
    opened.push(named);
    expect(await nameOf(named)).toBe('medic-decision');
    const byUrl = new URL(url);
    byUrl.searchParams.set('application_name', 'ops-console');
    const kept = await openDatabase({ url: byUrl.toString(), schema: 'svc', entities: [], ddl: [], applicationName: 'medic-decision' });
    opened.push(kept);
    expect(await nameOf(kept)).toBe('ops-console');
  });
});
