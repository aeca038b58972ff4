import { createHash } from 'node:crypto';
import { Column, Entity, PrimaryColumn, type DataSource, type EntityManager } from 'typeorm';
import { ApiError } from '@medic/eventlog';

/**
 * The first answer to a POST made with an Idempotency-Key, per API key name:
 * a retry gets that answer back instead of acting twice. Answers are kept for
 * a day, as payment APIs do.
 */
@Entity({ name: 'idempotency_keys' })
export class IdempotencyRecord {
  @PrimaryColumn('text', { name: 'id' }) id!: string;
  @Column('text', { name: 'principal' }) principal!: string;
  @Column('text', { name: 'request_hash' }) requestHash!: string;
  @Column('text', { name: 'command_id' }) commandId!: string;
  @Column('boolean', { name: 'sent' }) sent!: boolean;
  @Column('int', { name: 'status', nullable: true }) status!: number | null;
  @Column('jsonb', { name: 'answer', nullable: true }) answer!: StoredAnswer | null;
  @Column('timestamptz', { name: 'created_at' }) createdAt!: Date;
}

export const IDEMPOTENCY_DDL = [
  `CREATE TABLE IF NOT EXISTS {schema}.idempotency_keys (
    id text PRIMARY KEY,
    principal text NOT NULL,
    request_hash text NOT NULL,
    command_id text NOT NULL,
    sent boolean NOT NULL,
    status int,
    answer jsonb,
    created_at timestamptz NOT NULL
  )`,
  `CREATE INDEX IF NOT EXISTS idempotency_keys_created ON {schema}.idempotency_keys (created_at)`,
];

/** A final answer: the body of a 200, or a 4xx error (with the field it is about, if any). */
export type StoredAnswer = { readonly data: unknown } | { readonly error: { readonly code: string; readonly message: string; readonly field?: string } };

/** The error to store as a request's answer. */
export function storedError(error: ApiError): StoredAnswer {
  return { error: { code: error.code, message: error.message, ...(error.field === undefined ? {} : { field: error.field }) } };
}

/** A stored error answer, thrown again as it was first. */
export function replayedError(status: number, answer: Extract<StoredAnswer, { error: unknown }>): ApiError {
  return new ApiError(status, answer.error.code, answer.error.message, answer.error.field);
}

const KEEP_MS = 24 * 3600_000;
/** A claim whose command was never marked sent after this long is taken to have died before sending. */
const UNSENT_AFTER_MS = 10_000;
const KEY = /^[\x21-\x7e]{1,255}$/;

export function parseIdempotencyKey(value: string | undefined): string | null {
  if (value === undefined) return null;
  if (!KEY.test(value)) throw new ApiError(400, 'validation_error', 'Idempotency-Key: must be 1–255 visible ASCII characters', 'Idempotency-Key');
  return value;
}

/** The same key from the same principal always names the same command. */
export function commandIdFor(principal: string, key: string): string {
  const h = createHash('sha256').update(`medic-idempotency\n${principal}\n${key}`).digest('hex');
  // Shaped as an RFC 9562 version 8 (custom) UUID.
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-8${h.slice(13, 16)}-${((parseInt(h[16]!, 16) & 0x3) | 0x8).toString(16)}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

export function requestHash(request: unknown): string {
  return createHash('sha256').update(JSON.stringify(request)).digest('hex');
}

export type Claim =
  /** First use of the key: send the command, then record the answer. */
  | { readonly kind: 'new'; readonly commandId: string }
  /** The key's command may never have been sent (its first request died): send it again, same id. */
  | { readonly kind: 'resend'; readonly commandId: string }
  /** Sent already, no final answer yet: wait for its verdict. */
  | { readonly kind: 'wait'; readonly commandId: string }
  | { readonly kind: 'answered'; readonly status: number; readonly answer: StoredAnswer };

function rowId(principal: string, key: string): string {
  return createHash('sha256').update(`${principal}\n${key}`).digest('hex');
}

/** The advisory lock of a key's row: 64 bits of its id. */
function lockOf(id: string): string {
  return BigInt.asIntN(64, BigInt(`0x${id.slice(0, 16)}`)).toString();
}

function reusedKey(): ApiError {
  return new ApiError(422, 'idempotency_key_reused', 'this Idempotency-Key was used for a different request; use a new key for a new request');
}

/** What runs a statement: the data source, or a transaction's manager. */
type Runner = Pick<EntityManager, 'query' | 'getRepository'>;

/**
 * Writes the key's row for this request unless the key was used before: null
 * when this request is its first use, else the row its first use left (a
 * different request under the key is a 422).
 */
async function firstUse(runner: Runner, row: { id: string; principal: string; hash: string; commandId: string; sent: boolean; now: Date }): Promise<IdempotencyRecord | null> {
  const inserted = await runner.query<unknown[]>(
    `INSERT INTO idempotency_keys (id, principal, request_hash, command_id, sent, created_at) VALUES ($1, $2, $3, $4, $5, $6)
     ON CONFLICT (id) DO NOTHING RETURNING id`,
    [row.id, row.principal, row.hash, row.commandId, row.sent, row.now],
  );
  if (inserted.length > 0) return null;
  const found = await runner.getRepository(IdempotencyRecord).findOneByOrFail({ id: row.id });
  if (found.requestHash !== row.hash) throw reusedKey();
  return found;
}

/** A row's final answer, when its request has one. */
function answerOf(row: IdempotencyRecord): { readonly status: number; readonly answer: StoredAnswer } | null {
  return row.status !== null && row.answer !== null ? { status: row.status, answer: row.answer } : null;
}

/** Stores the final answer of the key's request (`onlyFirst`: unless one is stored already). */
async function storeAnswer(runner: Runner, id: string, status: number, answer: StoredAnswer, onlyFirst: boolean): Promise<void> {
  await runner.query(`UPDATE idempotency_keys SET sent = true, status = $2, answer = $3 WHERE id = $1${onlyFirst ? ' AND status IS NULL' : ''}`, [id, status, JSON.stringify(answer)]);
}

export class IdempotencyStore {
  constructor(private readonly dataSource: DataSource) {}

  /** Claims the key for this request, or says what became of its first use. A different request under the same key is a 422. */
  async claim(principal: string, key: string, hash: string, now: Date): Promise<Claim> {
    const id = rowId(principal, key);
    const commandId = commandIdFor(principal, key);
    await this.forgetOld(now);
    const row = await firstUse(this.dataSource, { id, principal, hash, commandId, sent: false, now });
    if (row === null) return { kind: 'new', commandId };
    const answered = answerOf(row);
    if (answered !== null) return { kind: 'answered', ...answered };
    if (!row.sent && now.getTime() - row.createdAt.getTime() > UNSENT_AFTER_MS) return { kind: 'resend', commandId: row.commandId };
    return { kind: 'wait', commandId: row.commandId };
  }

  private async forgetOld(now: Date): Promise<void> {
    await this.dataSource.query(`DELETE FROM idempotency_keys WHERE created_at < $1`, [new Date(now.getTime() - KEEP_MS)]);
  }

  async markSent(principal: string, key: string): Promise<void> {
    await this.dataSource.query(`UPDATE idempotency_keys SET sent = true WHERE id = $1`, [rowId(principal, key)]);
  }

  /** Forgets a claim whose command could not be sent, so a retry starts afresh. */
  async release(principal: string, key: string): Promise<void> {
    await this.dataSource.query(`DELETE FROM idempotency_keys WHERE id = $1 AND NOT sent`, [rowId(principal, key)]);
  }

  /**
   * Runs `act` once per Idempotency-Key, for a request that appends its fact
   * itself rather than a command the workflow answers: a retry with the key
   * gets the first answer back (a 200's data, or its 4xx error), a retry
   * while the first is still under way is a 409, and a different request
   * under the key a 422. Without a key, `act` just runs.
   *
   * The key's row is written in a transaction that lasts as long as `act`,
   * under a lock on the key: a retry that finds the lock taken knows the
   * first is under way, however long it takes, and a request that dies
   * half-way (its process gone) leaves neither row nor lock behind, so its
   * retry carries the request out.
   */
  async once<T>(principal: string, key: string | null, request: unknown, act: () => Promise<T>): Promise<T> {
    if (key === null) return act();
    const id = rowId(principal, key);
    const hash = requestHash(request);
    const now = new Date();
    await this.forgetOld(now);
    const outcome = await this.dataSource.transaction(async (tx): Promise<{ readonly data: T } | { readonly error: ApiError }> => {
      const [lock] = await tx.query<{ locked: boolean }[]>(`SELECT pg_try_advisory_xact_lock($1::bigint) AS locked`, [lockOf(id)]);
      if (lock?.locked !== true) throw new ApiError(409, 'idempotency_key_in_use', 'a request with this Idempotency-Key is still being carried out; retry shortly to get its answer');
      const first = await firstUse(tx, { id, principal, hash, commandId: commandIdFor(principal, key), sent: true, now });
      const answered = first === null ? null : answerOf(first);
      if (answered !== null) return 'error' in answered.answer ? { error: replayedError(answered.status, answered.answer) } : { data: answered.answer.data as T };
      // First use, or no answer and no request under way (the lock was free): the first died before it answered.
      let outcome: { readonly data: T } | { readonly error: ApiError };
      try {
        outcome = { data: await act() };
      } catch (error) {
        // Anything but the client's fault rolls the claim back: a retry carries the request out afresh.
        if (!(error instanceof ApiError && error.status >= 400 && error.status < 500)) throw error;
        outcome = { error };
      }
      const answer: StoredAnswer = 'data' in outcome ? { data: outcome.data } : storedError(outcome.error);
      const status = 'data' in outcome ? 200 : outcome.error.status;
      await storeAnswer(tx, id, status, answer, false);
      return outcome;
    });
    if ('error' in outcome) throw outcome.error;
    return outcome.data;
  }

  async record(principal: string, key: string, status: number, answer: StoredAnswer): Promise<void> {
    await storeAnswer(this.dataSource, rowId(principal, key), status, answer, true);
  }
}
