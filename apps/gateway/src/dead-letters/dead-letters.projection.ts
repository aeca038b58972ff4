import { readDeadLetter, type DeadLetterInfo, type Projection, type RawRecords, type ReadRecords } from '@medic/eventlog';
import { DeadLetterView } from './dead-letter.entity';

interface DeadLetterRecord {
  readonly id: string;
  readonly offset: string;
  readonly info: DeadLetterInfo;
  readonly timestamp: string;
}

/**
 * What has gone to medic.dlq.internal, by step, for /health and /status. A
 * record there without the kit's headers is shown as coming from an unknown
 * step rather than dropped: whatever wrote it, an operator should see it.
 */
export const deadLettersProjection: Projection<DeadLetterRecord, DeadLetterView> = {
  name: 'gateway.dead_letters',
  entity: DeadLetterView,
  read: readDeadLetters,
  keyOf: (r) => r.id,
  evolve: (row, r) =>
    row ??
    Object.assign(new DeadLetterView(), {
      id: r.id,
      step: r.info.step,
      code: r.info.code,
      reason: r.info.reason,
      sourceTopic: r.info.sourceTopic,
      sourcePartition: Number.isInteger(r.info.sourcePartition) ? r.info.sourcePartition : -1,
      sourceOffset: r.info.sourceOffset,
      failedAt: failedAt(r),
    }),
};

function readDeadLetters(records: RawRecords): ReadRecords<DeadLetterRecord> {
  return {
    events: records.messages.map((m) => ({
      id: `${records.partition}:${m.offset}`,
      offset: m.offset,
      timestamp: m.timestamp,
      info: readDeadLetter(m.headers) ?? { step: 'unknown', code: 'unknown', reason: 'a record without dead-letter headers', sourceTopic: '', sourcePartition: -1, sourceOffset: '', failedAt: '' },
    })),
    rejected: [],
  };
}

function failedAt(r: DeadLetterRecord): Date {
  const stated = Date.parse(r.info.failedAt);
  if (!Number.isNaN(stated)) return new Date(stated);
  const appended = Number(r.timestamp);
  return new Date(Number.isFinite(appended) ? appended : 0);
}
