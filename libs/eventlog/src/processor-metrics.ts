import type { Registry } from 'prom-client';
import { counter, histogram } from '@medic/observability';
import type { RejectedRecord } from './dead-letters';
import type { BatchTimings, ProcessorBatch } from './transactional-processor';

const BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

export interface ProcessorMetrics {
  /** A batch handled and committed. */
  batch(batch: ProcessorBatch, timings: BatchTimings, deadLetters: readonly RejectedRecord[]): void;
  /** A round that failed, to be tried again from the committed offsets. */
  failed(): void;
}

/** Per-stage timings and sizes of a transactional step's batches, and its failed rounds, for /metrics. */
export function processorMetrics(registry: Registry, step: string): ProcessorMetrics {
  const failures = counter(registry, 'medic_step_round_failures_total', 'Rounds of a transactional step that failed (a SIEM, the database or the broker unreachable) and are tried again', ['step']);
  const seconds = histogram(registry, 'medic_step_batch_seconds', 'Time a transactional step spends per batch, by stage', ['step', 'stage'], BUCKETS);
  const sizes = histogram(registry, 'medic_step_batch_records', 'Records per batch handed to a transactional step', ['step'], [1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500]);
  const dead = counter(registry, 'medic_dead_letters_total', 'Records a step could not handle, written to medic.dlq.internal', ['step', 'code']);
  return {
    batch(batch, timings, deadLetters) {
      for (const d of deadLetters) dead.inc({ step, code: d.code });
      seconds.observe({ step, stage: 'handle' }, timings.handleMs / 1000);
      if (timings.commitMs !== null) seconds.observe({ step, stage: 'commit' }, timings.commitMs / 1000);
      sizes.observe({ step }, batch.messages.length);
    },
    failed() {
      failures.inc({ step });
    },
  };
}
