import type { Kafka } from 'kafkajs';
import type { DataSource, ObjectLiteral } from 'typeorm';
import type { StreamName } from '@medic/contracts';
import { readLog } from './log-reader';
import { applyRecords, lockProjection, ProjectionOffset, type Projection } from './projection';

export interface RebuildResult {
  readonly projection: string;
  readonly applied: number;
  readonly durationMs: number;
}

/**
 * Drops a projection and folds it again from offset 0, in one transaction that
 * holds the projection's lock, so the live runner waits and then carries on from
 * the rebuilt offsets. A rebuilt projection equals the live one.
 */
export async function rebuildProjection<S extends StreamName, Row extends ObjectLiteral>(args: {
  kafka: Kafka;
  dataSource: DataSource;
  projection: Projection<S, Row>;
  topic: string;
}): Promise<RebuildResult> {
  const started = process.hrtime.bigint();
  const { kafka, dataSource, projection, topic } = args;
  let applied = 0;
  await dataSource.transaction(async (tx) => {
    await lockProjection(tx, projection.name);
    await tx.createQueryBuilder().delete().from(projection.entity).execute();
    await tx.delete(ProjectionOffset, { projection: projection.name });
    await readLog(kafka, topic, async (records) => {
      applied += await applyRecords(tx, projection, records);
    });
  });
  return { projection: projection.name, applied, durationMs: Number((process.hrtime.bigint() - started) / 1_000_000n) };
}
