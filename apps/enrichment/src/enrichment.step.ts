import { randomUUID } from 'node:crypto';
import type { ContextEnriched, KillReported } from '@medic/domain';
import { decodeRecords, dispatchEach, KillAppends, type LogDispatch, type LoggedEvent, type ProcessorBatch, type RejectedRecord, type StepResult } from '@medic/eventlog';
import { inSpan } from '@medic/observability';
import { windowOf } from './context';
import type { Attempted, ResilientSiem } from './siem/resilient-siem';
import type { SiemAnswer } from './siem/siem-client';

export interface EnrichmentSettings {
  readonly source: string;
  readonly killEventsTopic: string;
  readonly historicalDays: number;
}

export interface EnrichmentReport {
  readonly enriched: readonly ContextEnriched[];
}

/** What the enrichment handlers are given for each kill of a round: the SIEM's answer, and where to append. */
export class EnrichmentRound {
  private readonly appends: KillAppends<ContextEnriched>;

  constructor(
    private readonly answers: ReadonlyMap<string, Attempted<SiemAnswer>>,
    private readonly failure: string | null,
    readonly settings: EnrichmentSettings,
    readonly at: Date,
  ) {
    this.appends = new KillAppends(settings.source, settings.killEventsTopic);
  }

  answerFor(killId: string): Attempted<SiemAnswer> | undefined {
    return this.answers.get(killId) ?? (this.failure === null ? undefined : { ok: false, reason: this.failure });
  }

  newQueryId(): string {
    return randomUUID();
  }

  append(event: ContextEnriched, cause: LoggedEvent<unknown>): void {
    this.appends.add(event, cause);
  }

  begin(): void {
    this.appends.reset();
  }

  finish(rejected: RejectedRecord[]): StepResult<EnrichmentReport> {
    return { outputs: [this.appends.output()], report: { enriched: this.appends.events }, rejected };
  }
}

/**
 * Enriches a round of reported kills: all of them are asked of the SIEM in
 * one round trip, within the SIEM's time budget, and each gets a
 * ContextEnriched from its handler — the SIEM's context, or why there is none.
 */
export async function runEnrichment(
  batches: readonly ProcessorBatch[],
  settings: EnrichmentSettings,
  siem: ResilientSiem,
  now: () => Date,
  dispatch: LogDispatch,
): Promise<StepResult<EnrichmentReport>[]> {
  const decoded = batches.map((batch) => ({ batch, ...decodeRecords('kill', batch, (type) => type === 'KillReported') }));
  const reported = decoded.flatMap((d) => d.events) as LoggedEvent<KillReported>[];
  const queries = reported.map((e) => ({ killId: e.data.killId, module: e.data.report.targetModule, ...windowOf(e.data, settings.historicalDays) }));
  // One query for the round's kills: its span links each kill's span, and the client's own spans are its children.
  const result =
    queries.length > 0
      ? await inSpan('siem query_context', { parent: null, links: reported.map((e) => e.trace), attributes: () => ({ 'medic.siem.kills': queries.length }) }, () =>
          siem.call('query_context', (timeoutMs) => siem.client.queryContext(queries, timeoutMs)),
        )
      : { ok: true as const, value: [] };
  const answers = new Map<string, Attempted<SiemAnswer>>(result.ok ? result.value.map((a) => [a.killId, { ok: true, value: a }]) : []);
  const round = new EnrichmentRound(answers, result.ok ? null : result.reason, settings, now());
  const results: StepResult<EnrichmentReport>[] = [];
  for (const { events, rejected } of decoded) {
    round.begin();
    results.push(round.finish([...rejected, ...(await dispatchEach(events, round, dispatch, 'enrichment'))]));
  }
  return results;
}
