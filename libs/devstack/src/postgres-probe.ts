import { Client, DatabaseError } from 'pg';
import { waitFor } from './wait';

/** One connection, one `select 1`: the server accepts our credentials and runs queries. */
async function selectOne(url: string): Promise<void> {
  const client = new Client({ connectionString: url, connectionTimeoutMillis: 2_000, fallback_application_name: 'medic-devstack' });
  // A server dying mid-probe emits 'error' on the client; unhandled, that would crash Node.
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query('select 1');
  } finally {
    await client.end().catch(() => undefined);
  }
}

export function waitUntilAnswers(url: string, timeoutMs: number, onTimeout: (lastError: string) => Error, abort?: () => Error | undefined): Promise<void> {
  return waitFor(() => selectOne(url), { timeoutMs, onTimeout, ...(abort ? { abort } : {}) });
}

/**
 * Whether the server answers at all within `timeoutMs`: a query run, or an
 * error it sent (too many clients, starting up, shutting down) — a server that
 * refuses is not a hung one. No connection, or none in time: false.
 */
export async function postgresAnswers(url: string, timeoutMs: number): Promise<boolean> {
  const client = new Client({ connectionString: url, connectionTimeoutMillis: timeoutMs, query_timeout: timeoutMs, fallback_application_name: 'medic-devstack' });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query('select 1');
    return true;
  } catch (error) {
    return error instanceof DatabaseError;
  } finally {
    void client.end().catch(() => undefined);
  }
}

/** The URL with its password masked, for messages and logs. */
export function redact(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(a DATABASE_URL that is not a URL)';
  }
}
