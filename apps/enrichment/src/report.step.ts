import { decodeRecords, dispatchEach, type LogDispatch, type ProcessorBatch, type StepResult } from '@medic/eventlog';
import type { ResilientSiem } from './siem/resilient-siem';
import type { SiemDocument } from './siem/siem-client';

/** The kill-log events analysts see next to their alerts. */
export const REPORTED_TYPES = ['DecisionMade', 'OutcomeRecorded'] as const;

/** Where the report handlers put the documents of a round. */
export class ReportRound {
  readonly documents: SiemDocument[] = [];

  add(document: SiemDocument): void {
    this.documents.push(document);
  }
}

/**
 * Medic's verdicts and outcomes, written back into the SIEM (spec
 * `report_outcome`): each decision and each outcome becomes one document
 * under an id of its own (see ReportHandlers), written only where no document
 * of that id is, so writing a round again after a failure, or an outcome
 * the monitor recorded again, never duplicates or overwrites. A SIEM that
 * cannot take them fails the round, to be retried, so nothing is skipped.
 */
export async function runReport(batches: readonly ProcessorBatch[], siem: ResilientSiem, dispatch: LogDispatch): Promise<StepResult<number>[]> {
  const round = new ReportRound();
  const results: StepResult<number>[] = [];
  for (const batch of batches) {
    const { events, rejected } = decodeRecords('kill', batch, (type) => (REPORTED_TYPES as readonly string[]).includes(type));
    const before = round.documents.length;
    rejected.push(...(await dispatchEach(events, round, dispatch, 'enrichment-report')));
    results.push({ outputs: [], report: round.documents.length - before, rejected });
  }
  if (round.documents.length > 0) {
    const written = await siem.call('index', (timeoutMs) => siem.client.index(round.documents, timeoutMs));
    if (!written.ok) throw Object.assign(new Error(`the SIEM did not take ${round.documents.length} documents: ${written.reason}`), { retriable: true });
  }
  return results;
}
