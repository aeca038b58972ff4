import type { EntityManager } from 'typeorm';
import {
  AUTO_APPROVER,
  awaitsApproval,
  evolve,
  laterThresholds,
  timersOf,
  type KillBurstLimit,
  type KillEvent,
  type KillState,
  type ModuleHistory,
  type ModuleQuarantine,
  type ModuleReleased,
  type OutcomeResult,
  type ThresholdsUpdated,
} from '@medic/domain';
import { formatTraceparent, type TraceContext } from '@medic/observability';
import { THRESHOLDS_SCOPE, thresholdsUpdateOf, type DecisionThresholdsRow } from '@medic/standing';
import { ModuleQuarantines, QUARANTINE_ROWS_SQL, type LoadedQuarantineRows } from './module-quarantines';

const HOUR_MS = 3_600_000;

interface TrackedKill {
  state: KillState;
  readonly partition: number;
  autoApprovedAt: string | null;
  /** When it was reported; null for a kill loaded from its row (the row keeps it). */
  readonly reportedAt: string | null;
  /**
   * The trace of the event after which its timers last changed (the one that
   * carries their due time): a timer's firing goes on with that trace, so a
   * kill's trace runs on across its timers. Null when not known.
   */
  timerTrace: TraceContext | null;
}

/** Which timers a state waits for, as one comparable value. */
function timerIdsOf(state: KillState | null): string {
  return state === null ? '' : timersOf(state).map((t) => t.timerId).join('\n');
}

/** What happened to a module on one day, as far as its history goes. */
interface DayCounts {
  kills: number;
  resurrections: number;
  /** Outcomes: stayed stable (the kill was a false positive), re-killed, rolled back (it was right). */
  stable: number;
  reKills: number;
  rollbacks: number;
}

interface DayDelta extends DayCounts {
  readonly module: string;
  readonly day: string;
  readonly partition: number;
}

const NO_COUNTS: DayCounts = { kills: 0, resurrections: 0, stable: 0, reKills: 0, rollbacks: 0 };

/**
 * The decision service's state for one round, loaded once and written once:
 * the kills the round touches, their modules' history, the hourly auto
 * budget and the approval queue's length. Every event the round reads or
 * makes is folded in through `apply`, the same fold a rebuild from offset 0
 * runs, so the live state and a rebuilt one are the same.
 */
export class WorkflowState {
  private readonly changed = new Set<string>();
  private readonly days = new Map<string, DayDelta>();
  /** The kills with a row in kill_state (loaded, or written by `save`): only they can have timers stored. */
  private readonly stored: Set<string>;
  /** Set when the round folded a ThresholdsUpdated, to be written by `save`. */
  private thresholdsChanged = false;

  private constructor(
    private readonly kills: Map<string, TrackedKill>,
    private readonly history: Map<string, ModuleHistory>,
    private auto: number,
    /** Kills waiting for a human on the approval queue. */
    private queued: number,
    private readonly hourAgo: number,
    private readonly quarantines: ModuleQuarantines,
    private thresholds: ThresholdsUpdated | null,
    /** Kills reported since `burstSince` (counted up to just past the limit when loaded), the round's new ones counted in. */
    private recent: number,
    private readonly burstSince: number,
  ) {
    this.stored = new Set(kills.keys());
  }

  /**
   * Loads (and locks, in one order, so replicas handling the events and the
   * commands of one kill take turns) the kills named, the history over
   * `historyDays`, re-kills and last release of the modules named and of the
   * kills' modules, the auto-approvals of the last hour and the kills waiting
   * for a human; with a burst limit, the kills reported within its window (up
   * to one past the limit: whether it is exceeded is all a decision asks).
   */
  static async load(
    tx: EntityManager,
    killIds: readonly string[],
    modules: readonly string[],
    at: Date,
    historyDays: number,
    burst: KillBurstLimit | null = null,
  ): Promise<WorkflowState> {
    const hourAgo = at.getTime() - HOUR_MS;
    const counting = burst !== null && burst.maxKills > 0;
    const burstSince = counting ? at.getTime() - burst.windowSeconds * 1000 : Number.POSITIVE_INFINITY;
    type Loaded = LoadedQuarantineRows & {
      kills: { kill_id: string; partition: number; state: KillState; auto_approved_at: string | null }[];
      history: { target_module: string; kills: number; resurrections: number; stable: number; re_kills: number; rollbacks: number }[];
      auto: number;
      queued: number;
      recent: number;
      thresholds: (Omit<DecisionThresholdsRow, 'updatedAt'> & { updated_at: string; max_risk_level: DecisionThresholdsRow['maxRiskLevel']; min_confidence: number }) | null;
    };
    const [row] = await tx.query<[Loaded]>(
      `WITH k AS (SELECT kill_id, partition, state, auto_approved_at, target_module FROM kill_state WHERE kill_id = ANY($1) ORDER BY kill_id FOR UPDATE),
            m AS (SELECT unnest($2::text[]) AS target_module UNION SELECT target_module FROM k)
       SELECT
         (SELECT coalesce(json_agg(k), '[]') FROM k) AS kills,
         (SELECT coalesce(json_agg(h), '[]') FROM
            (SELECT target_module, sum(kills)::int AS kills, sum(resurrections)::int AS resurrections,
                    sum(stable)::int AS stable, sum(re_kills)::int AS re_kills, sum(rollbacks)::int AS rollbacks
               FROM module_daily WHERE target_module IN (SELECT target_module FROM m) AND day >= $3::date GROUP BY target_module) h) AS history,
         (SELECT count(*) FROM kill_state WHERE auto_approved_at >= $4)::int AS auto,
         (SELECT count(*) FROM kill_state WHERE awaits_approval)::int AS queued,
         ${counting ? '(SELECT count(*) FROM (SELECT 1 FROM kill_state WHERE reported_at > $5 LIMIT $6) r)::int' : '0'} AS recent,
         (SELECT row_to_json(t) FROM decision_thresholds t WHERE scope = '${THRESHOLDS_SCOPE}') AS thresholds,
         ${QUARANTINE_ROWS_SQL}`,
      [
        [...new Set(killIds)],
        [...new Set(modules)],
        new Date(at.getTime() - historyDays * 24 * HOUR_MS).toISOString(),
        new Date(hourAgo).toISOString(),
        ...(counting ? [new Date(burstSince).toISOString(), burst.maxKills + 1] : []),
      ],
    );
    const kills = new Map(
      row.kills.map((k) => [
        k.kill_id,
        { state: k.state, partition: k.partition, autoApprovedAt: k.auto_approved_at === null ? null : new Date(k.auto_approved_at).toISOString(), reportedAt: null, timerTrace: null },
      ]),
    );
    const history = new Map(
      row.history.map((h) => [
        h.target_module,
        { priorKills: h.kills, priorResurrections: h.resurrections, falsePositives: h.stable, reKills: h.re_kills, rollbacks: h.rollbacks },
      ]),
    );
    const t = row.thresholds;
    const thresholds =
      t === null ? null : thresholdsUpdateOf({ updatedAt: new Date(t.updated_at), actor: t.actor, reason: t.reason, thresholds: t.thresholds, maxRiskLevel: t.max_risk_level, minConfidence: t.min_confidence });
    return new WorkflowState(kills, history, row.auto, row.queued, hourAgo, ModuleQuarantines.from(row), thresholds, row.recent, burstSince);
  }

  /** An empty state, for a rebuild that folds the log from its start. */
  static empty(): WorkflowState {
    return new WorkflowState(new Map(), new Map(), 0, 0, Number.POSITIVE_INFINITY, ModuleQuarantines.from(null), null, 0, Number.POSITIVE_INFINITY);
  }

  /** The thresholds an admin last set, in force over the configured ones; null: the configured ones hold. */
  thresholdsInForce(): ThresholdsUpdated | null {
    return this.thresholds;
  }

  /** An admin set the thresholds: kills decided from now on are decided by them (the later of two updates holds). */
  thresholdsUpdated(event: ThresholdsUpdated): void {
    this.thresholds = laterThresholds(this.thresholds, event);
    this.thresholdsChanged = true;
  }

  get(killId: string): KillState | null {
    return this.kills.get(killId)?.state ?? null;
  }

  historyOf(module: string): ModuleHistory {
    return this.history.get(module) ?? emptyHistory();
  }

  /** Set while the module is quarantined (re-killed `afterReKills` times within a day, not released since). */
  quarantineOf(module: string, afterReKills: number): ModuleQuarantine | null {
    return this.quarantines.quarantineOf(module, afterReKills);
  }

  /** An admin released a module from quarantine: its re-kills until then no longer count. */
  release(event: ModuleReleased): void {
    this.quarantines.released(event);
  }

  /** Auto-approvals within the hour before the round's time. */
  autoResurrectionsLastHour(): number {
    return this.auto;
  }

  /** Kills reported within the burst window before the round (as far as they were counted), the round's new ones counted in. */
  recentKills(): number {
    return this.recent;
  }

  /** Kills waiting for a human on the approval queue, the round's decisions and answers counted in. */
  pendingApprovals(): number {
    return this.queued;
  }

  /**
   * Folds one event of a kill in. A report of a kill already known changes
   * nothing (Smith may repeat itself); an event the kill's state does not
   * allow throws `illegal_transition` and changes nothing. `trace` is the
   * trace of the event's record (kept for the timers the event sets).
   */
  apply(event: KillEvent, partition: number, trace: TraceContext | null = null): void {
    const tracked = this.kills.get(event.killId);
    if (event.type === 'KillReported' && tracked) return;
    if (event.type === 'CommandRejected') return;
    const state = evolve(tracked?.state ?? null, event);
    const kill: TrackedKill = tracked ?? { state, partition, autoApprovedAt: null, reportedAt: event.type === 'KillReported' ? event.at : null, timerTrace: null };
    if (timerIdsOf(state) !== timerIdsOf(tracked?.state ?? null)) kill.timerTrace = trace;
    if (tracked === undefined && event.type === 'KillReported' && Date.parse(event.at) > this.burstSince) this.recent += 1;
    this.queued += Number(awaitsApproval(state)) - Number(tracked !== undefined && awaitsApproval(tracked.state));
    kill.state = state;
    this.kills.set(event.killId, kill);
    this.changed.add(event.killId);
    if (event.type === 'KillReported') this.count(state.targetModule, event.at, kill.partition, { kills: 1 });
    if (event.type === 'DecisionMade' && state.approvedBy === AUTO_APPROVER && kill.autoApprovedAt === null) {
      kill.autoApprovedAt = event.decision.timestamp;
      this.count(state.targetModule, event.at, kill.partition, { resurrections: 1 });
      if (Date.parse(event.decision.timestamp) >= this.hourAgo) this.auto += 1;
    }
    if (event.type === 'OutcomeRecorded') {
      const outcome = OUTCOME_COUNTS[event.result];
      if (outcome) this.count(state.targetModule, event.at, kill.partition, outcome);
      if (event.result === 're_killed') this.quarantines.reKilled(event.killId, state.targetModule, event.at);
    }
  }

  /** Writes what the round changed: kill states, module days and the kills' timers. */
  async save(tx: EntityManager): Promise<void> {
    const kills = [...this.changed].map((id) => ({ id, kill: this.kills.get(id)! }));
    if (kills.length > 0) {
      // One JSON document for all rows: a json[] parameter would be escaped element by element.
      const rows = kills.map(({ id, kill }) => ({
        kill_id: id,
        partition: kill.partition,
        status: kill.state.status,
        target_module: kill.state.targetModule,
        state: kill.state,
        auto_approved_at: kill.autoApprovedAt,
        awaits_approval: awaitsApproval(kill.state),
        reported_at: kill.reportedAt,
      }));
      // A row keeps the time it was first written with: the kill's report.
      await tx.query(
        `INSERT INTO kill_state (kill_id, partition, status, target_module, state, auto_approved_at, awaits_approval, reported_at)
         SELECT kill_id, partition, status, target_module, state, auto_approved_at, awaits_approval, reported_at
           FROM json_to_recordset($1::json) AS r(kill_id text, partition int, status text, target_module text, state json, auto_approved_at timestamptz, awaits_approval boolean, reported_at timestamptz)
         ON CONFLICT (kill_id) DO UPDATE SET status = EXCLUDED.status, state = EXCLUDED.state, auto_approved_at = EXCLUDED.auto_approved_at, awaits_approval = EXCLUDED.awaits_approval`,
        [JSON.stringify(rows)],
      );
      await this.saveTimers(tx, kills.map((k) => k.kill));
      for (const { id } of kills) this.stored.add(id);
    }
    const days = [...this.days.values()];
    if (days.length > 0) {
      await tx.query(
        `INSERT INTO module_daily (target_module, day, source_partition, kills, resurrections, stable, re_kills, rollbacks)
         SELECT * FROM unnest($1::text[], $2::date[], $3::int[], $4::int[], $5::int[], $6::int[], $7::int[], $8::int[])
         ON CONFLICT (target_module, day, source_partition) DO UPDATE
           SET kills = module_daily.kills + EXCLUDED.kills, resurrections = module_daily.resurrections + EXCLUDED.resurrections,
               stable = module_daily.stable + EXCLUDED.stable, re_kills = module_daily.re_kills + EXCLUDED.re_kills,
               rollbacks = module_daily.rollbacks + EXCLUDED.rollbacks`,
        [
          days.map((d) => d.module),
          days.map((d) => d.day),
          days.map((d) => d.partition),
          days.map((d) => d.kills),
          days.map((d) => d.resurrections),
          days.map((d) => d.stable),
          days.map((d) => d.reKills),
          days.map((d) => d.rollbacks),
        ],
      );
    }
    await this.quarantines.save(tx);
    await this.saveThresholds(tx);
    this.changed.clear();
    this.days.clear();
  }

  /** The later update wins, whichever order rounds and rebuilds write them in (ties: the actor's name, as laterThresholds). */
  private async saveThresholds(tx: EntityManager): Promise<void> {
    const t = this.thresholds;
    if (!this.thresholdsChanged || t === null) return;
    await tx.query(
      `INSERT INTO decision_thresholds (scope, updated_at, actor, reason, thresholds, max_risk_level, min_confidence)
       VALUES ($1, $2, $3, $4, $5::jsonb, $6, $7)
       ON CONFLICT (scope) DO UPDATE SET updated_at = EXCLUDED.updated_at, actor = EXCLUDED.actor, reason = EXCLUDED.reason,
         thresholds = EXCLUDED.thresholds, max_risk_level = EXCLUDED.max_risk_level, min_confidence = EXCLUDED.min_confidence
         WHERE (EXCLUDED.updated_at, EXCLUDED.actor COLLATE "C") >= (decision_thresholds.updated_at, decision_thresholds.actor COLLATE "C")`,
      [THRESHOLDS_SCOPE, t.at, t.actor, t.reason, JSON.stringify(t.thresholds), t.maxRiskLevel, t.minConfidence],
    );
    this.thresholdsChanged = false;
  }

  /** A kill's timers are whatever its state waits for now: new ones are added, lapsed ones dropped. */
  private async saveTimers(tx: EntityManager, kills: readonly TrackedKill[]): Promise<void> {
    const timers = kills.flatMap((k) => timersOf(k.state).map((timer) => ({ timer, trace: k.timerTrace })));
    // A kill first written now has no timers to drop: a round of new kills saves the statement.
    const before = kills.filter((k) => this.stored.has(k.state.killId)).map((k) => k.state.killId);
    if (before.length > 0) await tx.query(`DELETE FROM kill_timers WHERE kill_id = ANY($1) AND NOT (timer_id = ANY($2))`, [before, timers.map((t) => t.timer.timerId)]);
    if (timers.length === 0) return;
    await tx.query(
      `INSERT INTO kill_timers (timer_id, kill_id, due_at, command, traceparent)
       SELECT * FROM unnest($1::text[], $2::text[], $3::timestamptz[], $4::jsonb[], $5::text[])
       ON CONFLICT (timer_id) DO NOTHING`,
      [
        timers.map((t) => t.timer.timerId),
        timers.map((t) => t.timer.killId),
        timers.map((t) => t.timer.dueAt),
        timers.map((t) => JSON.stringify(t.timer.command)),
        timers.map((t) => (t.trace === null ? null : formatTraceparent(t.trace))),
      ],
    );
  }

  private count(module: string, at: string, partition: number, counts: Partial<DayCounts>): void {
    const c = { ...NO_COUNTS, ...counts };
    const day = at.slice(0, 10);
    const key = `${module}\u0000${day}\u0000${partition}`;
    const delta = this.days.get(key) ?? { module, day, partition, ...NO_COUNTS };
    delta.kills += c.kills;
    delta.resurrections += c.resurrections;
    delta.stable += c.stable;
    delta.reKills += c.reKills;
    delta.rollbacks += c.rollbacks;
    this.days.set(key, delta);
    const h = this.historyOf(module);
    this.history.set(module, {
      priorKills: h.priorKills + c.kills,
      priorResurrections: h.priorResurrections + c.resurrections,
      falsePositives: h.falsePositives + c.stable,
      reKills: h.reKills + c.reKills,
      rollbacks: h.rollbacks + c.rollbacks,
    });
  }
}

/** What an outcome says about the kill before it: wrong (stable), right (re-killed, rolled back), or nothing (a failed start). */
const OUTCOME_COUNTS: Readonly<Record<OutcomeResult, Partial<DayCounts> | null>> = {
  success: { stable: 1 },
  re_killed: { reKills: 1 },
  rollback: { rollbacks: 1 },
  partial: null,
  failure: null,
};

function emptyHistory(): ModuleHistory {
  return { priorKills: 0, priorResurrections: 0, falsePositives: 0, reKills: 0, rollbacks: 0 };
}
