import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { DataSource, type EntitySchema, type MixedList } from 'typeorm';
import type { MedicConfig } from '@medic/config';
import { errorCode } from './dead-letters';
import { preparingClient } from './prepared-statements';
import { ProjectionOffset } from './projection';
import { STEP_POSITIONS_DDL, STEP_POSITIONS_STORAGE_DDL } from './step-positions';

export interface DatabaseSettings {
  readonly url: string;
  /** Each service owns one schema; tests use a schema of their own. */
  readonly schema: string;
  // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
  readonly entities: MixedList<Function | string | EntitySchema>;
  /** Idempotent DDL run at start-up, after the schema exists. */
  readonly ddl: readonly string[];
  readonly poolSize?: number;
  /**
   * What Postgres shows as the connections' `application_name` (pg_stat_activity,
   * logs with `%a`), so an operator can tell the services' sessions apart; one
   * given in the URL or PGAPPNAME is kept instead.
   */
  readonly applicationName?: string;
  /**
   * Whether parameterized statements are prepared once per connection (see
   * `preparingClient`); off for a pooler that does not keep them (PgBouncer
   * before 1.21 in transaction mode).
   */
  readonly preparedStatements?: boolean;
}

/** The `application_name` of the sessions a part of Medic opens (a service, `replay`, …). */
export const applicationNameOf = (part: string): string => `medic-${part}`;

/** How a part of Medic (see `applicationNameOf`) connects, from the configuration's `database`. */
export function connectionOf(database: MedicConfig['database'], part: string): Pick<DatabaseSettings, 'url' | 'applicationName' | 'preparedStatements'> {
  return { url: database.url, applicationName: applicationNameOf(part), preparedStatements: database.prepared_statements };
}

const IDENT = /^[a-z_][a-z0-9_]{0,62}$/;

/** How long opening a connection, or waiting for a free one in the pool, may take. */
export const CONNECT_TIMEOUT_MS = 10_000;

/** Opens a TypeORM data source on the service's own schema and applies its DDL. */
export async function openDatabase(settings: DatabaseSettings): Promise<DataSource> {
  if (!IDENT.test(settings.schema)) throw new Error(`invalid schema name ${JSON.stringify(settings.schema)}`);
  const ds = new DataSource({
    type: 'postgres',
    url: settings.url,
    schema: settings.schema,
    entities: [ProjectionOffset, ...(settings.entities as unknown[])] as never,
    synchronize: false,
    logging: false,
    extra: {
      max: settings.poolSize ?? 10,
      ...(settings.preparedStatements === false ? {} : { Client: preparingClient() }),
      // Unqualified table names in raw SQL resolve to the service's schema.
      options: `-c search_path=${settings.schema},public`,
      // A Postgres that hangs (accepts the connection, never answers) fails a connect or a wait for a
      // pooled connection after this, as a retriable error, instead of holding the caller forever.
      connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
      ...(settings.applicationName === undefined ? {} : { fallback_application_name: settings.applicationName }),
    },
  });
  await ds.initialize();
  quietDroppedConnections(ds);
  try {
    await applyDdl(ds, settings.schema, [PROJECTION_OFFSETS_DDL, PROJECTION_VERSIONS_DDL, PROJECTION_TALLIES_DDL, STEP_POSITIONS_DDL, STEP_POSITIONS_STORAGE_DDL, ...settings.ddl]);
  } catch (error) {
    await ds.destroy().catch(() => undefined);
    throw error;
  }
  return ds;
}

/** How often DDL that lost a deadlock to the live workload is tried again. */
const DDL_ATTEMPTS = 6;

/**
 * Brings the schema to `statements`, unless it is there already: the digest of
 * the statements last applied is kept in the schema, and a start with the same
 * DDL (every start but the first after an upgrade) runs none of it.
 * `ALTER TABLE … IF NOT EXISTS` and `CREATE INDEX IF NOT EXISTS` lock their
 * table before they find there is nothing to do, so running them beside the
 * services that write those tables (a service restarted by `medic up`, a
 * second replica, `medic replay rebuild` opening a live service's schema)
 * queued readers behind them and could deadlock with a writer. When the DDL
 * did change, one opener at a time applies it (an advisory lock), and a
 * deadlock with the live workload is tried again after a pause.
 */
async function applyDdl(ds: DataSource, schema: string, ddl: readonly string[]): Promise<void> {
  const statements = ddl.map((statement) => statement.replaceAll('{schema}', schema));
  const digest = createHash('sha256').update(statements.join('\n;\n')).digest('hex');
  const applied = async (query: (sql: string) => Promise<{ digest: string }[]>) => {
    try {
      return (await query(`SELECT digest FROM ${schema}.schema_ddl`))[0]?.digest === digest;
    } catch (error) {
      // A schema (or a table of digests) not made yet: nothing was applied.
      if (['3F000', '42P01'].includes(errorCode(error) ?? '')) return false;
      throw error;
    }
  };
  if (await applied((sql) => ds.query(sql))) return;
  for (let attempt = 1; ; attempt++) {
    try {
      await ds.transaction(async (tx) => {
        // Two openers starting together must not race on the DDL (concurrent CREATE … IF NOT EXISTS can fail).
        await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`ddl:${schema}`]);
        await tx.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
        await tx.query(`CREATE TABLE IF NOT EXISTS ${schema}.schema_ddl (
          only_row boolean PRIMARY KEY DEFAULT true CHECK (only_row),
          digest text NOT NULL,
          applied_at timestamptz NOT NULL
        )`);
        if (await applied((sql) => tx.query(sql))) return;
        for (const statement of statements) await tx.query(statement);
        await tx.query(
          `INSERT INTO ${schema}.schema_ddl (only_row, digest, applied_at) VALUES (true, $1, now())
           ON CONFLICT (only_row) DO UPDATE SET digest = EXCLUDED.digest, applied_at = EXCLUDED.applied_at`,
          [digest],
        );
      });
      return;
    } catch (error) {
      if (!lostToLiveWorkload(error) || attempt >= DDL_ATTEMPTS) throw error;
      await sleep(100 * 2 ** attempt * (0.5 + Math.random() / 2));
    }
  }
}

/** Deadlock detected, or a lock not obtained in time: the DDL may well go through on another try. */
function lostToLiveWorkload(error: unknown): boolean {
  const code = errorCode(error);
  return code === '40P01' || code === '55P03';
}

/**
 * DDL that turns a table's jsonb columns into json, for a schema made before
 * they were json; it alters (and locks) the table only while one of them is
 * still jsonb, so a service starting beside running replicas holds up none of
 * their queries. Table and column names come from the code, never from input.
 */
export function jsonbColumnsToJson(table: string, columns: readonly string[]): string {
  for (const name of [table, ...columns]) if (!IDENT.test(name)) throw new Error(`invalid identifier ${JSON.stringify(name)}`);
  const alter = columns.map((c) => `ALTER COLUMN ${c} TYPE json USING ${c}::json`).join(', ');
  return `DO $$ BEGIN
    IF EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = '{schema}.${table}'::regclass AND attname IN (${columns.map((c) => `'${c}'`).join(', ')}) AND atttypid = 'jsonb'::regtype AND NOT attisdropped) THEN
      ALTER TABLE {schema}.${table} ${alter};
    END IF;
  END $$`;
}

interface PgClient {
  on(event: 'error', listener: (error: Error) => void): unknown;
}
interface PgPool {
  on(event: 'connect', listener: (client: PgClient) => void): unknown;
  readonly _clients?: readonly PgClient[];
}

/**
 * Postgres dropping a connection (a restart, pg_terminate_backend) makes its
 * client emit 'error'. The pool listens while the client is idle, but not while
 * it is checked out between two queries: there the event would be unhandled and
 * end the process, although the next query on it fails by itself, as a
 * retriable error the steps retry. Every client of the pool gets a listener.
 */
function quietDroppedConnections(ds: DataSource): void {
  const pool = (ds.driver as unknown as { master?: PgPool }).master;
  if (!pool) return;
  const ignore = () => undefined;
  for (const client of pool._clients ?? []) client.on('error', ignore);
  pool.on('connect', (client) => client.on('error', ignore));
}

const PROJECTION_OFFSETS_DDL = `CREATE TABLE IF NOT EXISTS {schema}.projection_offsets (
  projection text NOT NULL,
  topic text NOT NULL,
  partition int NOT NULL,
  "offset" bigint NOT NULL,
  PRIMARY KEY (projection, topic, partition)
)`;

const PROJECTION_VERSIONS_DDL = `CREATE TABLE IF NOT EXISTS {schema}.projection_versions (
  projection text PRIMARY KEY,
  version int NOT NULL
)`;

/** Running totals of a projection's rows (see `Projection.tally`). */
const PROJECTION_TALLIES_DDL = `CREATE TABLE IF NOT EXISTS {schema}.projection_tallies (
  projection text NOT NULL,
  tally text NOT NULL,
  n bigint NOT NULL,
  PRIMARY KEY (projection, tally)
)`;
