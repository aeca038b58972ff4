import { OUTCOME_RESULTS, round4, type OutcomeResult } from '@medic/domain';

/** One count of outcomes by result, overall or within one module or one risk level. */
export interface OutcomeCounts {
  readonly grouping: 'overall' | 'module' | 'risk_level';
  /** The module or the risk level; null overall. */
  readonly key: string | null;
  readonly result: string;
  readonly n: number;
  /** Sum and number of the outcomes that say how long the module took to be stable. */
  readonly stable_seconds: number | null;
  readonly stable_n: number;
}

export interface OutcomeSummary {
  readonly total: number;
  readonly by_result: Record<OutcomeResult, number>;
  /** success / total; null with no outcomes. */
  readonly success_rate: number | null;
  readonly re_kill_rate: number | null;
  readonly rollback_rate: number | null;
  readonly mean_time_to_stable_seconds: number | null;
}

export interface OutcomeStats extends OutcomeSummary {
  readonly per_module: (OutcomeSummary & { readonly module: string })[];
  readonly per_risk_level: (OutcomeSummary & { readonly risk_level: string })[];
}

/** Rates and means from outcome counts; every group of the answer has the same shape. */
export function outcomeStats(counts: readonly OutcomeCounts[]): OutcomeStats {
  const groups = new Map<string, OutcomeCounts[]>();
  for (const c of counts) {
    const id = `${c.grouping}\u0000${c.key ?? ''}`;
    groups.set(id, [...(groups.get(id) ?? []), c]);
  }
  const of = (grouping: OutcomeCounts['grouping']) =>
    [...groups.values()]
      .filter((g) => g[0]!.grouping === grouping)
      .map((g) => ({ key: g[0]!.key ?? 'unknown', summary: summarise(g) }))
      .sort((a, b) => b.summary.total - a.summary.total || a.key.localeCompare(b.key));
  const overall = [...groups.values()].find((g) => g[0]!.grouping === 'overall') ?? [];
  return {
    ...summarise(overall),
    per_module: of('module').map(({ key, summary }) => ({ module: key, ...summary })),
    per_risk_level: of('risk_level').map(({ key, summary }) => ({ risk_level: key, ...summary })),
  };
}

function summarise(counts: readonly OutcomeCounts[]): OutcomeSummary {
  const byResult = Object.fromEntries(OUTCOME_RESULTS.map((r) => [r, 0])) as Record<OutcomeResult, number>;
  let stableSeconds = 0;
  let stableN = 0;
  for (const c of counts) {
    if (c.result in byResult) byResult[c.result as OutcomeResult] += c.n;
    stableSeconds += c.stable_seconds ?? 0;
    stableN += c.stable_n;
  }
  const total = Object.values(byResult).reduce((a, b) => a + b, 0);
  const rate = (n: number) => (total === 0 ? null : round4(n / total));
  return {
    total,
    by_result: byResult,
    success_rate: rate(byResult.success),
    re_kill_rate: rate(byResult.re_killed),
    rollback_rate: rate(byResult.rollback),
    mean_time_to_stable_seconds: stableN === 0 ? null : round4(stableSeconds / stableN),
  };
}
