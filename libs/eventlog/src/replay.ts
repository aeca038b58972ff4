import type { Kafka } from 'kafkajs';
import type { DataSource } from 'typeorm';
import { readLog } from './log-reader';
import { applyRecords, clearProjection, lockProjection, storeVersion, type AnyProjection } from './projection';

export interface RebuildResult {
  readonly projection: string;
  readonly applied: number;
  /** Records the projection could not read or fold, as the live runner would have dead-lettered them. */
  readonly rejected: number;
  readonly durationMs: number;
}

/**
 * Drops a projection and folds it again from offset 0, in one transaction that
 * holds the projection's lock, so the live runner waits and then carries on from
 * the rebuilt offsets. A rebuilt projection equals the live one.
 */
export async function rebuildProjection(args: { kafka: Kafka; dataSource: DataSource; projection: AnyProjection; topic: string }): Promise<RebuildResult> {
  const started = process.hrtime.bigint();
  const { kafka, dataSource, projection, topic } = args;
  let applied = 0;
  let rejected = 0;
  await dataSource.transaction(async (tx) => {
    await lockProjection(tx, projection.name);
    await clearProjection(tx, projection);
    await storeVersion(tx, projection);
    await readLog(kafka, topic, async (records) => {
      const result = await applyRecords(tx, projection, records);
      applied += result.applied;
      rejected += result.rejected.length;
    });
  });
  return { projection: projection.name, applied, rejected, durationMs: Number((process.hrtime.bigint() - started) / 1_000_000n) };
}
