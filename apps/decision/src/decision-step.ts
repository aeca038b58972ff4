import { randomUUID } from 'node:crypto';
import type { Message } from 'kafkajs';
import type { EntityManager } from 'typeorm';
import {
  decide,
  evolve,
  type DecisionMade,
  type KillEvent,
  type KillReported,
  type ModuleHistory,
  type PolicySettings,
  type RiskSettings,
} from '@medic/domain';
import { causeOf, fromKafkaMessage, header, newEnvelope, toKafkaMessage, type LoggedEvent, type Output, type ProcessorBatch } from '@medic/eventlog';

export interface DecisionSettings {
  readonly source: string;
  readonly killEventsTopic: string;
  readonly policy: PolicySettings;
  readonly risk: RiskSettings;
  /** How far back a module's kills count as its history. */
  readonly historyDays: number;
}

export interface DecisionStepResult {
  readonly outputs: readonly Output[];
  readonly decisions: readonly { readonly event: DecisionMade; readonly cause: LoggedEvent<KillEvent> }[];
  readonly duplicates: readonly string[];
}

interface DecidedRow {
  readonly kill_id: string;
  readonly source_partition: number;
  readonly source_offset: string;
  readonly auto_approved: boolean;
}

const HOUR_MS = 3_600_000;

/**
 * Decides every new kill of a round of batches (at most one per partition, in
 * one transaction) from the log: fold the report, run the decider with the
 * module's history and the hourly auto budget, append RiskAssessed +
 * DecisionMade (+ ApprovalRequested). One result per batch, in order, from one
 * read of the state and one write, in the round's Postgres transaction. A
 * KillReported seen again at the same offset is a redelivery (the earlier
 * output never committed) and is decided again; at another offset it is a
 * repeat and is skipped.
 */
export async function decideBatches(batches: readonly ProcessorBatch[], tx: EntityManager, settings: DecisionSettings, now: () => Date): Promise<DecisionStepResult[]> {
  const perBatch = batches.map((batch) => ({ reports: killReportsIn(batch), messages: [] as Message[], decisions: [] as DecisionStepResult['decisions'][number][], duplicates: [] as string[] }));
  const reports = perBatch.flatMap((b) => b.reports.map((report) => ({ report, out: b })));
  if (reports.length === 0) return perBatch.map(() => ({ outputs: [], decisions: [], duplicates: [] }));
  const at = now();
  const state = await loadState(tx, reports.map((r) => r.report), at, settings.historyDays);
  const { decided, history } = state;
  let autoLastHour = state.autoLastHour;

  const rows: NewDecidedRow[] = [];
  for (const { report, out } of reports) {
    const killId = report.data.killId;
    const earlier = decided.get(killId);
    if (earlier && !(earlier.source_partition === report.partition && earlier.source_offset === report.offset)) {
      out.duplicates.push(killId);
      continue;
    }
    const module = report.data.report.targetModule;
    if (earlier) {
      // A redelivery: take back what its first, uncommitted decision added.
      if (earlier.auto_approved) autoLastHour -= 1;
      countInHistory(history, module, -1, earlier.auto_approved ? -1 : 0);
    }
    const events = decide(
      {
        type: 'DecideResurrection',
        killId,
        at: at.toISOString(),
        decisionId: randomUUID(),
        queueItemId: randomUUID(),
        siem: null,
        siemStatus: 'not_configured',
        history: history.get(module) ?? emptyHistory(),
        autoResurrectionsLastHour: Math.max(0, autoLastHour),
        policy: settings.policy,
        risk: settings.risk,
      },
      evolve(null, report.data),
    );
    const cause = causeOf(report);
    for (const event of events) {
      out.messages.push(toKafkaMessage('kill', newEnvelope('kill', event, { source: settings.source, subject: killId, time: at.toISOString(), cause })));
    }
    const made = events.find((e): e is DecisionMade => e.type === 'DecisionMade');
    if (!made) continue;
    out.decisions.push({ event: made, cause: report });
    const auto = made.decision.outcome === 'approve_auto' && !made.decision.observeOnly;
    if (auto) autoLastHour += 1;
    countInHistory(history, module, 1, auto ? 1 : 0);
    const row = { kill_id: killId, source_partition: report.partition, source_offset: report.offset, auto_approved: auto };
    decided.set(killId, row);
    rows.push({
      ...row,
      target_module: module,
      reported_at: report.data.at,
      decision_id: made.decision.decisionId,
      outcome: made.decision.outcome,
      decided_at: at.toISOString(),
      kills_delta: earlier ? 0 : 1,
      resurrections_delta: (auto ? 1 : 0) - (earlier?.auto_approved ? 1 : 0),
    });
  }
  await storeDecided(tx, rows);
  return perBatch.map((b) => ({ outputs: [{ topic: settings.killEventsTopic, messages: b.messages }], decisions: b.decisions, duplicates: b.duplicates }));
}

function killReportsIn(batch: ProcessorBatch): LoggedEvent<KillReported>[] {
  const out: LoggedEvent<KillReported>[] = [];
  for (const m of batch.messages) {
    const ceType = header(m.headers, 'ce_type');
    if (ceType !== 'medic.kill.v1.KillReported') continue;
    const event = fromKafkaMessage('kill', { topic: batch.topic, partition: batch.partition, offset: m.offset, value: m.value, headers: m.headers });
    if (event.data.type === 'KillReported') out.push(event as LoggedEvent<KillReported>);
  }
  return out;
}

function emptyHistory(): ModuleHistory {
  return { priorKills: 0, priorResurrections: 0, falsePositives: 0, reKills: 0 };
}

function countInHistory(history: Map<string, ModuleHistory>, module: string, kills: number, resurrections: number): void {
  const h = history.get(module) ?? emptyHistory();
  history.set(module, { ...h, priorKills: h.priorKills + kills, priorResurrections: h.priorResurrections + resurrections });
}

interface BatchState {
  readonly decided: Map<string, DecidedRow>;
  readonly history: Map<string, ModuleHistory>;
  readonly autoLastHour: number;
}

/**
 * What the batch's kills need to know, in one round trip: whether each was
 * decided already (and from which record), each module's history over the last
 * `historyDays` days (by day) and the auto-resurrections of the last hour.
 */
async function loadState(tx: EntityManager, reports: readonly LoggedEvent<KillReported>[], at: Date, historyDays: number): Promise<BatchState> {
  const killIds = reports.map((r) => r.data.killId);
  const modules = [...new Set(reports.map((r) => r.data.report.targetModule))];
  const historySince = new Date(at.getTime() - historyDays * 24 * HOUR_MS).toISOString();
  const hourAgo = new Date(at.getTime() - HOUR_MS).toISOString();
  type Row = { decided: DecidedRow[]; history: { target_module: string; kills: number; resurrections: number }[]; auto_last_hour: number };
  const [row] = await tx.query<[Row]>(
    `SELECT
       (SELECT coalesce(json_agg(json_build_object('kill_id', kill_id, 'source_partition', source_partition,
                 'source_offset', source_offset::text, 'auto_approved', auto_approved)), '[]')
          FROM kills WHERE kill_id = ANY($1)) AS decided,
       (SELECT coalesce(json_agg(json_build_object('target_module', target_module, 'kills', kills, 'resurrections', resurrections)), '[]')
          FROM (SELECT target_module, sum(kills)::int AS kills, sum(resurrections)::int AS resurrections
                  FROM module_daily WHERE target_module = ANY($2) AND day >= $3::date
                 GROUP BY target_module) h) AS history,
       (SELECT count(*) FROM kills WHERE auto_approved AND decided_at >= $4)::int AS auto_last_hour`,
    [killIds, modules, historySince, hourAgo],
  );
  return {
    decided: new Map(row.decided.map((r) => [r.kill_id, r])),
    history: new Map(row.history.map((h) => [h.target_module, { ...emptyHistory(), priorKills: h.kills, priorResurrections: h.resurrections }])),
    autoLastHour: row.auto_last_hour,
  };
}

interface NewDecidedRow extends DecidedRow {
  readonly target_module: string;
  readonly reported_at: string;
  readonly decision_id: string;
  readonly outcome: string;
  readonly decided_at: string;
  /** What this decision adds to its module's day in module_daily. */
  readonly kills_delta: number;
  readonly resurrections_delta: number;
}

/** Records the round's decisions and what they add to each module's day, in one statement. */
async function storeDecided(tx: EntityManager, rows: readonly NewDecidedRow[]): Promise<void> {
  if (rows.length === 0) return;
  const col = <K extends keyof NewDecidedRow>(k: K) => rows.map((r) => r[k]);
  await tx.query(
    `WITH d AS (
       SELECT * FROM unnest($1::text[], $2::text[], $3::timestamptz[], $4::int[], $5::bigint[], $6::uuid[], $7::text[], $8::boolean[],
                            $9::timestamptz[], $10::int[], $11::int[])
         AS d(kill_id, target_module, reported_at, source_partition, source_offset, decision_id, outcome, auto_approved, decided_at, k, r)
     ), decided AS (
       INSERT INTO kills (kill_id, target_module, reported_at, source_partition, source_offset, decision_id, outcome, auto_approved, decided_at)
       SELECT kill_id, target_module, reported_at, source_partition, source_offset, decision_id, outcome, auto_approved, decided_at FROM d
       ON CONFLICT (kill_id) DO UPDATE SET decision_id = EXCLUDED.decision_id, outcome = EXCLUDED.outcome,
         auto_approved = EXCLUDED.auto_approved, decided_at = EXCLUDED.decided_at
     )
     INSERT INTO module_daily (target_module, day, source_partition, kills, resurrections)
     SELECT target_module, (reported_at AT TIME ZONE 'UTC')::date, source_partition, sum(k)::int, sum(r)::int FROM d
      GROUP BY 1, 2, 3
     ON CONFLICT (target_module, day, source_partition) DO UPDATE SET kills = module_daily.kills + EXCLUDED.kills,
       resurrections = module_daily.resurrections + EXCLUDED.resurrections`,
    [
      col('kill_id'),
      col('target_module'),
      col('reported_at'),
      col('source_partition'),
      col('source_offset'),
      col('decision_id'),
      col('outcome'),
      col('auto_approved'),
      col('decided_at'),
      col('kills_delta'),
      col('resurrections_delta'),
    ],
  );
}
