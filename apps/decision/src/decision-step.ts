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
 * Decides every new kill of a batch from the log: fold the report, run the
 * decider with the module's history and the hourly auto budget, append
 * RiskAssessed + DecisionMade (+ ApprovalRequested). The state it keeps is
 * written in the batch's Postgres transaction; a KillReported seen again at the
 * same offset is a redelivery (the earlier output never committed) and is
 * decided again, at another offset it is a repeat and is skipped.
 */
export async function decideBatch(batch: ProcessorBatch, tx: EntityManager, settings: DecisionSettings, now: () => Date): Promise<DecisionStepResult> {
  const reports = killReportsIn(batch);
  if (reports.length === 0) return { outputs: [], decisions: [], duplicates: [] };
  const at = now();
  const decided = await loadDecided(tx, reports.map((r) => r.data.killId));
  const history = await loadHistory(tx, reports.map((r) => r.data.report.targetModule), at, settings.historyDays);
  let autoLastHour = await countAutoSince(tx, new Date(at.getTime() - HOUR_MS));

  const messages: Message[] = [];
  const decisions: { event: DecisionMade; cause: LoggedEvent<KillEvent> }[] = [];
  const duplicates: string[] = [];
  const rows: NewDecidedRow[] = [];
  for (const report of reports) {
    const killId = report.data.killId;
    const earlier = decided.get(killId);
    if (earlier && !(earlier.source_partition === report.partition && earlier.source_offset === report.offset)) {
      duplicates.push(killId);
      continue;
    }
    if (earlier?.auto_approved) autoLastHour -= 1;
    const module = report.data.report.targetModule;
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
      messages.push(toKafkaMessage('kill', newEnvelope('kill', event, { source: settings.source, subject: killId, time: at.toISOString(), cause })));
    }
    const made = events.find((e): e is DecisionMade => e.type === 'DecisionMade');
    if (!made) continue;
    decisions.push({ event: made, cause: report });
    const auto = made.decision.outcome === 'approve_auto' && !made.decision.observeOnly;
    if (auto) autoLastHour += 1;
    if (!earlier) bumpHistory(history, module, auto);
    const row = { kill_id: killId, source_partition: report.partition, source_offset: report.offset, auto_approved: auto };
    decided.set(killId, row);
    rows.push({ ...row, target_module: module, reported_at: report.data.at, decision_id: made.decision.decisionId, outcome: made.decision.outcome, decided_at: at.toISOString() });
  }
  await storeDecided(tx, rows);
  return { outputs: [{ topic: settings.killEventsTopic, messages }], decisions, duplicates };
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

function bumpHistory(history: Map<string, ModuleHistory>, module: string, resurrected: boolean): void {
  const h = history.get(module) ?? emptyHistory();
  history.set(module, { ...h, priorKills: h.priorKills + 1, priorResurrections: h.priorResurrections + (resurrected ? 1 : 0) });
}

async function loadDecided(tx: EntityManager, killIds: readonly string[]): Promise<Map<string, DecidedRow>> {
  const rows: DecidedRow[] = await tx.query(
    `SELECT kill_id, source_partition, source_offset::text AS source_offset, auto_approved FROM kills WHERE kill_id = ANY($1)`,
    [killIds],
  );
  return new Map(rows.map((r) => [r.kill_id, r]));
}

async function loadHistory(tx: EntityManager, modules: readonly string[], at: Date, days: number): Promise<Map<string, ModuleHistory>> {
  const since = new Date(at.getTime() - days * 24 * HOUR_MS);
  const rows: { target_module: string; kills: string; resurrections: string }[] = await tx.query(
    `SELECT target_module, count(*) AS kills, count(*) FILTER (WHERE auto_approved) AS resurrections
       FROM kills WHERE target_module = ANY($1) AND reported_at >= $2 GROUP BY target_module`,
    [[...new Set(modules)], since.toISOString()],
  );
  return new Map(rows.map((r) => [r.target_module, { ...emptyHistory(), priorKills: Number(r.kills), priorResurrections: Number(r.resurrections) }]));
}

async function countAutoSince(tx: EntityManager, since: Date): Promise<number> {
  const rows: { n: string }[] = await tx.query(`SELECT count(*) AS n FROM kills WHERE auto_approved AND decided_at >= $1`, [since.toISOString()]);
  const [row] = rows;
  return Number(row?.n ?? 0);
}

interface NewDecidedRow extends DecidedRow {
  readonly target_module: string;
  readonly reported_at: string;
  readonly decision_id: string;
  readonly outcome: string;
  readonly decided_at: string;
}

async function storeDecided(tx: EntityManager, rows: readonly NewDecidedRow[]): Promise<void> {
  if (rows.length === 0) return;
  const col = <K extends keyof NewDecidedRow>(k: K) => rows.map((r) => r[k]);
  await tx.query(
    `INSERT INTO kills (kill_id, target_module, reported_at, source_partition, source_offset, decision_id, outcome, auto_approved, decided_at)
     SELECT * FROM unnest($1::text[], $2::text[], $3::timestamptz[], $4::int[], $5::bigint[], $6::uuid[], $7::text[], $8::boolean[], $9::timestamptz[])
     ON CONFLICT (kill_id) DO UPDATE SET decision_id = EXCLUDED.decision_id, outcome = EXCLUDED.outcome,
       auto_approved = EXCLUDED.auto_approved, decided_at = EXCLUDED.decided_at`,
    [col('kill_id'), col('target_module'), col('reported_at'), col('source_partition'), col('source_offset'), col('decision_id'), col('outcome'), col('auto_approved'), col('decided_at')],
  );
}
