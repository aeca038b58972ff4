import { DataSource, type EntitySchema, type MixedList } from 'typeorm';
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
      // Unqualified table names in raw SQL resolve to the service's schema.
      options: `-c search_path=${settings.schema},public`,
      // A Postgres that hangs (accepts the connection, never answers) fails a connect or a wait for a
      // pooled connection after this, as a retriable error, instead of holding the caller forever.
      connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
    },
  });
  await ds.initialize();
  quietDroppedConnections(ds);
  await ds.query(`CREATE SCHEMA IF NOT EXISTS ${settings.schema}`);
  await ds.transaction(async (tx) => {
    // Two replicas starting together must not race on the DDL.
    await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`ddl:${settings.schema}`]);
    for (const statement of [PROJECTION_OFFSETS_DDL, PROJECTION_VERSIONS_DDL, PROJECTION_TALLIES_DDL, STEP_POSITIONS_DDL, STEP_POSITIONS_STORAGE_DDL, ...settings.ddl]) {
      await tx.query(statement.replaceAll('{schema}', settings.schema));
    }
  });
  return ds;
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
