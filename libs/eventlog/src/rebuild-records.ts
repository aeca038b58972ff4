import type { IHeaders, Kafka } from 'kafkajs';
import type { EntityManager } from 'typeorm';
import { errorCode, isRetriable, readDeadLetter, type DeadLetterInfo } from './dead-letters';
import { messageOf } from './failure-streak';
import { readLog } from './log-reader';
import { decodePending } from './step-positions';

/** A record of the log, as a rebuild names it. */
export interface RecordAt {
  readonly topic: string;
  readonly partition: number;
  /** Null for a record a step's committed round has yet to append. */
  readonly offset: string | null;
  /** Its CloudEvents type, when it has one. */
  readonly type: string | null;
}

/** A record a rebuild left out because the live step left it out (it dead-lettered it), with the live step's code and reason. */
export interface SkippedRecord extends RecordAt {
  readonly code: string;
  readonly reason: string;
}

/**
 * A rebuild stopped by a record it cannot fold that the live step did not
 * leave out: rebuilt and live would differ. Thrown inside the rebuild's
 * transaction, so nothing of the rebuild is kept and the live state stays.
 */
export class RebuildFailed extends Error {
  readonly code = 'rebuild_failed';
  readonly retriable = false;

  constructor(
    readonly projection: string,
    readonly record: RecordAt,
    readonly reason: string,
    readonly step: string,
    readonly hint: string | null = null,
  ) {
    super(`${projection}: ${describeRecord(record)} cannot be folded, and the live step ${step} did not dead-letter it: ${reason}${hint === null ? '' : ` (${hint})`}`);
    this.name = 'RebuildFailed';
  }
}

/** `topic/partition@offset (type)`. */
export function describeRecord(r: RecordAt): string {
  const where = r.offset === null ? `a record for ${r.topic} that a committed round of the step is still appending` : `${r.topic}/${r.partition}@${r.offset}`;
  return r.type === null ? where : `${where} (${r.type})`;
}

/** What a failure says, with Postgres' SQLSTATE when Postgres refused. */
export function failureReason(error: unknown): string {
  const message = messageOf(error);
  const sqlstate = errorCode(error);
  return sqlstate !== undefined && /^[0-9A-Z]{5}$/.test(sqlstate) ? `Postgres refused it: ${message} (SQLSTATE ${sqlstate})` : message;
}

/** What a live step dead-lettered of one topic, by partition and offset. */
export class DeadLetters {
  static readonly NONE = new DeadLetters(new Map());

  private constructor(private readonly letters: ReadonlyMap<string, DeadLetterInfo>) {}

  /**
   * What `step` dead-lettered of `topic`: the dead-letter topic as it stands
   * (committed records), and the dead letters a transactional step's committed
   * rounds have yet to send. Read while the rebuild holds the state's lock, so
   * whatever the live step handled before it is there.
   */
  static async read(kafka: Kafka, tx: EntityManager, of: { readonly deadLetterTopic: string; readonly step: string; readonly topic: string }): Promise<DeadLetters> {
    const letters = new Map<string, DeadLetterInfo>();
    const note = (headers: IHeaders | undefined) => {
      const info = readDeadLetter(headers);
      // Should a record have been dead-lettered twice (a batch redone), the last word holds.
      if (info?.step === of.step && info.sourceTopic === of.topic) letters.set(key(info.sourcePartition, info.sourceOffset), info);
    };
    await readLog(kafka, of.deadLetterTopic, async (records) => {
      for (const m of records.messages) note(m.headers);
      await Promise.resolve();
    });
    for (const headers of await pendingDeadLetters(tx, of.step, of.deadLetterTopic)) note(headers);
    return new DeadLetters(letters);
  }

  of(partition: number, offset: string): DeadLetterInfo | undefined {
    return this.letters.get(key(partition, offset));
  }
}

function key(partition: number, offset: string): string {
  return `${partition}@${offset}`;
}

/** The headers of the dead letters a transactional step's committed rounds have yet to send (none where no step keeps positions). */
async function pendingDeadLetters(tx: EntityManager, step: string, deadLetterTopic: string): Promise<IHeaders[]> {
  const [table] = await tx.query<{ present: boolean }[]>(`SELECT to_regclass('step_positions') IS NOT NULL AS present`);
  if (!table?.present) return [];
  const rows = await tx.query<{ pending: Buffer }[]>(`SELECT pending FROM step_positions WHERE step = $1`, [step]);
  return rows.flatMap((r) => decodePending(r.pending).flatMap((p) => (p.topic === deadLetterTopic ? [p.message.headers ?? {}] : [])));
}

/**
 * What a rebuild makes of the records it meets that do not fold: one the live
 * step dead-lettered is left out again, and listed; one the rebuild cannot
 * read is counted (a live step that reads it dead-letters it); any other stops
 * the rebuild with `RebuildFailed`. Where the live step has nowhere to
 * dead-letter (the runner of the dead-letter topic itself, which logs what it
 * cannot fold and passes it over), a failing record is passed over and listed.
 */
export class RebuildRecords {
  readonly skipped: SkippedRecord[] = [];
  /** Records the rebuild could not read and the live step did not dead-letter. */
  unreadable = 0;

  constructor(
    readonly name: string,
    readonly step: string,
    readonly dead: DeadLetters,
    private readonly passesOver = false,
  ) {}

  /** The live step's dead letter for the record, if it wrote one. */
  deadLetterOf(at: RecordAt): DeadLetterInfo | undefined {
    return at.offset === null ? undefined : this.dead.of(at.partition, at.offset);
  }

  /** A record left out before folding, as the live step left it out (its dead letter says it was rolled back). */
  undone(at: RecordAt, letter: DeadLetterInfo): void {
    this.skipped.push({ ...at, code: letter.code, reason: letter.reason });
  }

  /** A record the rebuild cannot read. */
  unread(at: RecordAt): void {
    const letter = this.deadLetterOf(at);
    if (letter) this.undone(at, letter);
    else this.unreadable += 1;
  }

  /** A record that failed to fold on its own: left out if the live step left it out, else the rebuild stops. */
  failed(at: RecordAt, error: unknown, hint: string | null = null): void {
    if (error instanceof RebuildFailed) throw error;
    const letter = this.deadLetterOf(at);
    if (letter) return this.undone(at, letter);
    if (this.passesOver) return void this.skipped.push({ ...at, code: 'projection_failed', reason: failureReason(error) });
    throw new RebuildFailed(this.name, at, failureReason(error), this.step, hint);
  }
}

/**
 * Folds a batch behind one savepoint, so that a record Postgres (or the fold)
 * refuses cannot take the rest of the batch with it: on a failure the batch
 * is undone and folded again record by record, each behind a savepoint of its
 * own, and `failed` decides what becomes of a record that fails alone (left
 * out, or the rebuild stopped). The common path costs two statements a batch.
 * An error about the infrastructure, or a `RebuildFailed`, ends the rebuild.
 */
export async function foldGuarded<T>(tx: EntityManager, items: readonly T[], fold: (items: readonly T[]) => Promise<number>, failed: (item: T, error: unknown) => void): Promise<number> {
  if (items.length === 0) return 0;
  try {
    return await behindSavepoint(tx, 'medic_rebuild_batch', () => fold(items));
  } catch (error) {
    if (error instanceof RebuildFailed || isRetriable(error)) throw error;
  }
  let applied = 0;
  for (const item of items) {
    try {
      applied += await behindSavepoint(tx, 'medic_rebuild_record', () => fold([item]));
    } catch (error) {
      if (isRetriable(error)) throw error;
      failed(item, error);
    }
  }
  return applied;
}

async function behindSavepoint<R>(tx: EntityManager, name: string, run: () => Promise<R>): Promise<R> {
  await tx.query(`SAVEPOINT ${name}`);
  let result: R;
  try {
    result = await run();
  } catch (error) {
    await tx.query(`ROLLBACK TO SAVEPOINT ${name}`);
    await tx.query(`RELEASE SAVEPOINT ${name}`);
    throw error;
  }
  await tx.query(`RELEASE SAVEPOINT ${name}`);
  return result;
}
