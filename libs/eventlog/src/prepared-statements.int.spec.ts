import { randomBytes } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { createTestDatabase, testInfra } from '@medic/testing';
import { openDatabase } from './database';
import { isRetriable } from './dead-letters';
import { preparingClient } from './prepared-statements';

/** Statements prepared once per connection, against a real Postgres. */
describe('preparingClient', () => {
  const id = `p${randomBytes(4).toString('hex')}`;
  let url: string;
  const opened: { end(): Promise<void> }[] = [];

  beforeAll(async () => {
    url = await createTestDatabase(testInfra().databaseUrl, `medic_${id}`);
  });
  afterAll(async () => {
    await Promise.all(opened.map((c) => c.end()));
  });

  async function connect(limit?: number) {
    const Client = preparingClient(limit);
    const client = new Client({ connectionString: url });
    await client.connect();
    opened.push(client);
    return client;
  }
  const preparedOn = async (client: Awaited<ReturnType<typeof connect>>) =>
    (await client.query<{ statement: string }>("SELECT statement FROM pg_prepared_statements WHERE name LIKE 'medic\\_%' ORDER BY statement")).rows.map((r) => r.statement);

  it('prepares a parameterized statement once and runs it again by name, with the right results', async () => {
    const client = await connect();
    const sum = 'SELECT $1::int + $2::int AS n';
    expect((await client.query<{ n: number }>(sum, [1, 2])).rows).toEqual([{ n: 3 }]);
    expect((await client.query<{ n: number }>(sum, [40, 2])).rows).toEqual([{ n: 42 }]);
    expect(await preparedOn(client)).toEqual([sum]);
  });

  it('sends a statement without parameters as before: several in one text, nothing prepared', async () => {
    const client = await connect();
    await client.query('CREATE TEMP TABLE t1 (id int); INSERT INTO t1 VALUES (1), (2)');
    expect((await client.query<{ n: string }>('SELECT count(*)::text AS n FROM t1')).rows).toEqual([{ n: '2' }]);
    expect(await preparedOn(client)).toEqual([]);
  });

  it('prepares at most its limit of texts on a connection and sends the others unnamed', async () => {
    const client = await connect(2);
    for (const k of [1, 2, 3, 4]) expect((await client.query<{ k: number }>(`SELECT $1::int * ${k} AS k`, [k])).rows).toEqual([{ k: k * k }]);
    expect(await preparedOn(client)).toHaveLength(2);
  });

  it('meets a table whose rows changed shape under it with a retriable error, then sends that text unnamed', async () => {
    const client = await connect();
    const other = await connect();
    await other.query(`CREATE TABLE shape_${id} (id int PRIMARY KEY)`);
    await other.query(`INSERT INTO shape_${id} VALUES (1)`);
    const read = `SELECT * FROM shape_${id} WHERE id = $1`;
    expect((await client.query(read, [1])).rows).toEqual([{ id: 1 }]);
    await other.query(`ALTER TABLE shape_${id} ADD COLUMN note text DEFAULT 'new'`);
    const failed = await client.query(read, [1]).then(
      () => null,
      (error: unknown) => error,
    );
    expect(failed).toBeInstanceOf(Error);
    expect(isRetriable(failed)).toBe(true);
    expect((await client.query(read, [1])).rows).toEqual([{ id: 1, note: 'new' }]);
  });

  it('is what openDatabase uses unless told not to', async () => {
    const sources: DataSource[] = [];
    try {
      for (const preparedStatements of [true, false]) {
        const ds = await openDatabase({ url, schema: 'svc', entities: [], ddl: [], poolSize: 1, preparedStatements });
        sources.push(ds);
        await ds.query('SELECT $1::int AS one', [1]);
        const prepared = await ds.query<{ n: number }[]>("SELECT count(*)::int AS n FROM pg_prepared_statements WHERE statement = 'SELECT $1::int AS one'");
        expect(prepared[0]!.n).toBe(preparedStatements ? 1 : 0);
      }
    } finally {
      await Promise.all(sources.map((ds) => ds.destroy()));
    }
  });
});
