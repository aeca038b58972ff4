import { createHash } from 'node:crypto';
import { Client, type ClientConfig, type QueryConfig } from 'pg';

/** How many statements one connection keeps prepared; any other text is sent unnamed, as before. */
export const MAX_PREPARED_PER_CONNECTION = 256;

/** What Postgres says when a table under a prepared statement changed the shape of its rows. */
const PLAN_CHANGED = /cached plan must not change result type/;

/**
 * A `pg` client that prepares each parameterized statement once per
 * connection (a named statement, its name the digest of its text) and then
 * only binds and executes it. Postgres parses and analyses it once instead of
 * at every call and, once it has seen the statement a few times, keeps a
 * generic plan: most of the time Postgres spends on the services' small
 * statements went to parsing and planning them.
 *
 * Statements without parameters go as before (the simple protocol, which
 * allows several statements in one text). At most `limit` texts are known
 * per connection (prepared, or refused as below), so a caller that builds
 * ever new texts (an `IN` list of each length) costs Postgres no growing
 * memory. A table changed under a prepared statement so that its rows take
 * another shape (a column added by an upgrade's DDL, while this process runs)
 * makes Postgres refuse the statement; the text is then sent unnamed from
 * then on, and the error is marked retriable, so the round that met it is run
 * again rather than its records dead-lettered.
 */
export function preparingClient(limit = MAX_PREPARED_PER_CONNECTION): typeof Client {
  return class PreparingClient extends Client {
    /** Each text met, with its statement's name, or null when it is sent unnamed (its table changed under it). */
    private readonly names = new Map<string, string | null>();

    constructor(config?: string | ClientConfig) {
      super(config);
      const plain = this.query.bind(this) as (config: unknown, values?: unknown, callback?: unknown) => unknown;
      this.query = ((config: unknown, values?: unknown, callback?: unknown): unknown => {
        const name = typeof config === 'string' && Array.isArray(values) && values.length > 0 && callback === undefined ? this.nameOf(config) : null;
        if (name === null) return plain(config, values, callback);
        const query: QueryConfig = { name, text: config as string, values: values as unknown[] };
        return (plain(query) as Promise<unknown>).catch((error: unknown) => {
          if (error instanceof Error && PLAN_CHANGED.test(error.message)) {
            this.names.set(config as string, null);
            Object.assign(error, { retriable: true });
          }
          throw error;
        });
      }) as Client['query'];
    }

    private nameOf(text: string): string | null {
      const known = this.names.get(text);
      if (known !== undefined) return known;
      if (this.names.size >= limit) return null;
      const name = `medic_${createHash('sha256').update(text).digest('hex').slice(0, 40)}`;
      this.names.set(text, name);
      return name;
    }
  };
}
