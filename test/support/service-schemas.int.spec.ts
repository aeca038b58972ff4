import { randomBytes } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { openDatabase, type DatabaseSettings } from '@medic/eventlog';
import { DECISION_DDL, DECISION_ENTITIES } from '../../apps/decision/src/decision.schema';
import { EXECUTOR_DDL, EXECUTOR_ENTITIES } from '../../apps/executor/src/executor.schema';
import { GATEWAY_SCHEMA } from '../../apps/gateway/src/gateway.projections';
import { LISTENER_DDL, LISTENER_ENTITIES } from '../../apps/listener/src/listener.schema';
import { LEARNING_DDL, LEARNING_ENTITIES } from '../../apps/learning/src/learning.schema';
import { MONITOR_DDL } from '../../apps/monitor/src/monitor.schema';
import { NEGOTIATOR_DDL, NEGOTIATOR_ENTITIES } from '../../apps/negotiator/src/negotiator.schema';
import { createTestDatabase, testInfra } from './medic-harness';

/**
 * Every service writes its rows through TypeORM entities but creates its
 * tables with DDL of its own (synchronize stays off in production). This
 * checks, on a real Postgres, that the two say the same: each entity's table
 * exists in the service's schema, with every column of the entity, of the
 * same type and nullability, and the same primary key.
 */
const SERVICES: readonly Omit<DatabaseSettings, 'url'>[] = [
  { schema: 'listener', entities: LISTENER_ENTITIES, ddl: LISTENER_DDL },
  { schema: 'decision', entities: DECISION_ENTITIES, ddl: DECISION_DDL },
  { schema: 'negotiator', entities: NEGOTIATOR_ENTITIES, ddl: NEGOTIATOR_DDL },
  { schema: 'executor', entities: EXECUTOR_ENTITIES, ddl: EXECUTOR_DDL },
  { schema: 'monitor', entities: [], ddl: MONITOR_DDL },
  { schema: 'learning', entities: LEARNING_ENTITIES, ddl: LEARNING_DDL },
  { schema: GATEWAY_SCHEMA.schema, entities: [...GATEWAY_SCHEMA.entities], ddl: GATEWAY_SCHEMA.ddl },
];

interface TableColumn {
  readonly type: string;
  readonly nullable: boolean;
}

/** What Postgres made of the DDL: each column's canonical type and nullability, and the primary key. */
async function tableOf(ds: DataSource, schema: string, table: string): Promise<{ columns: Map<string, TableColumn>; primaryKey: string[] } | null> {
  const columns = await ds.query<{ name: string; type: string; nullable: boolean }[]>(
    `SELECT a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type, NOT a.attnotnull AS nullable
       FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = $1 AND c.relname = $2 AND a.attnum > 0 AND NOT a.attisdropped`,
    [schema, table],
  );
  if (columns.length === 0) return null;
  const primaryKey = await ds.query<{ name: string }[]>(
    `SELECT a.attname AS name
       FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid JOIN pg_namespace n ON n.oid = c.relnamespace
       JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = ANY(i.indkey)
      WHERE n.nspname = $1 AND c.relname = $2 AND i.indisprimary`,
    [schema, table],
  );
  return { columns: new Map(columns.map((c) => [c.name, { type: c.type, nullable: c.nullable }])), primaryKey: primaryKey.map((p) => p.name).sort() };
}

/** TypeORM's column type in Postgres' own spelling (format_type's). */
function canonicalType(ds: DataSource, column: Parameters<DataSource['driver']['normalizeType']>[0] & { isArray: boolean }): string {
  const normalized = ds.driver.normalizeType(column);
  const spelled: Record<string, string> = { int: 'integer', int4: 'integer', int8: 'bigint', bool: 'boolean', float8: 'double precision', timestamptz: 'timestamp with time zone', timestamp: 'timestamp without time zone' };
  const type = spelled[normalized] ?? normalized;
  return column.isArray ? `${type}[]` : type;
}

describe('service schemas: TypeORM entities and DDL agree', () => {
  const dataSources: DataSource[] = [];

  afterAll(async () => {
    await Promise.all(dataSources.map((ds) => ds.destroy()));
  });

  it.each(SERVICES.map((s) => [s.schema, s] as const))('%s', async (_name, service) => {
    const url = await createTestDatabase(testInfra().databaseUrl, `schemas_${service.schema}_${randomBytes(3).toString('hex')}`);
    const ds = await openDatabase({ url, ...service, poolSize: 2 });
    dataSources.push(ds);
    const problems: string[] = [];
    for (const meta of ds.entityMetadatas) {
      const table = await tableOf(ds, service.schema, meta.tableName);
      if (table === null) {
        problems.push(`${meta.tableName}: no such table after the DDL`);
        continue;
      }
      for (const column of meta.columns) {
        const actual = table.columns.get(column.databaseName);
        if (!actual) {
          problems.push(`${meta.tableName}.${column.databaseName}: in the entity, not in the table`);
          continue;
        }
        const expected = canonicalType(ds, column);
        if (actual.type !== expected) problems.push(`${meta.tableName}.${column.databaseName}: the entity says ${expected}, the table ${actual.type}`);
        const nullability = (nullable: boolean) => (nullable ? 'nullable' : 'NOT NULL');
        if (actual.nullable !== column.isNullable) problems.push(`${meta.tableName}.${column.databaseName}: ${nullability(column.isNullable)} in the entity, ${nullability(actual.nullable)} in the table`);
      }
      const entityKey = meta.primaryColumns.map((c) => c.databaseName).sort();
      if (JSON.stringify(entityKey) !== JSON.stringify(table.primaryKey)) problems.push(`${meta.tableName}: primary key (${entityKey.join(', ')}) in the entity, (${table.primaryKey.join(', ')}) in the table`);
    }
    expect(problems).toEqual([]);
    // The check above is only as good as the entities it saw: every service with entities has them registered.
    expect(ds.entityMetadatas.length).toBe(1 + (service.entities as unknown[]).length);
  });

  it('a decision schema made when kill_state.state was jsonb is converted to json, its rows kept', async () => {
    const url = await createTestDatabase(testInfra().databaseUrl, `schemas_upgrade_${randomBytes(3).toString('hex')}`);
    const first = await openDatabase({ url, schema: 'decision', entities: [], ddl: [], poolSize: 1 });
    dataSources.push(first);
    await first.query(`CREATE TABLE decision.kill_state (kill_id text PRIMARY KEY, partition int NOT NULL, status text NOT NULL, target_module text NOT NULL, state jsonb NOT NULL, auto_approved_at timestamptz)`);
    await first.query(`INSERT INTO decision.kill_state VALUES ('k-1', 0, 'PENDING', 'mod', '{"killId":"k-1","status":"PENDING"}', NULL)`);
    const ds = await openDatabase({ url, schema: 'decision', entities: DECISION_ENTITIES, ddl: DECISION_DDL, poolSize: 1 });
    dataSources.push(ds);
    expect((await tableOf(ds, 'decision', 'kill_state'))?.columns.get('state')?.type).toBe('json');
    expect(await ds.query(`SELECT kill_id, state FROM decision.kill_state`)).toEqual([{ kill_id: 'k-1', state: { killId: 'k-1', status: 'PENDING' } }]);
  });

  it('a gateway schema made when the kill view\'s lists were jsonb is converted to json', async () => {
    const url = await createTestDatabase(testInfra().databaseUrl, `schemas_upgrade_${randomBytes(3).toString('hex')}`);
    const lists = ['reasoning', 'risk_factors', 'constraints'];
    // The DDL as it was: the same tables, the lists jsonb, nothing converting them.
    const before = GATEWAY_SCHEMA.ddl.filter((d) => !d.includes('TYPE json')).map((d) => lists.reduce((ddl, column) => ddl.replace(`${column} json,`, `${column} jsonb,`), d));
    dataSources.push(await openDatabase({ url, schema: GATEWAY_SCHEMA.schema, entities: [], ddl: before, poolSize: 1 }));
    const ds = await openDatabase({ url, ...GATEWAY_SCHEMA, entities: [...GATEWAY_SCHEMA.entities], poolSize: 1 });
    dataSources.push(ds);
    const kills = await tableOf(ds, GATEWAY_SCHEMA.schema, 'kills');
    expect(lists.map((c) => kills?.columns.get(c)?.type)).toEqual(['json', 'json', 'json']);
  });
});
