import type { EntityManager } from 'typeorm';
import {
  evolveWatch,
  startWatch,
  type DecisionMade,
  type MonitorSettings,
  type ResurrectionStarted,
  type ResurrectionSucceeded,
  type RollbackRequested,
  type RollbackStarted,
  type Watch,
  type WatchPhase,
} from '@medic/domain';
import { causeOf, derivedUuid, type Cause, type LoggedEvent } from '@medic/eventlog';
import { AWAITING, REKILLABLE_PHASES } from './monitor.schema';

/** One row of `watches`, as the monitor works with it. */
export interface WatchRow {
  readonly killId: string;
  readonly targetModule: string;
  readonly decisionId: string;
  readonly requestId: string | null;
  readonly containerId: string | null;
  readonly resurrectionStartedAt: string | null;
  readonly phase: typeof AWAITING | WatchPhase;
  readonly watch: Watch | null;
  /** The ResurrectionSucceeded that began the watch: what the checks append continues its trace. */
  readonly cause: Cause | null;
  readonly firings: number;
}

/** A row as Postgres returns it. */
export interface RawRow {
  kill_id: string;
  target_module: string;
  decision_id: string;
  request_id: string | null;
  container_id: string | null;
  resurrection_started_at: string | Date | null;
  phase: WatchRow['phase'];
  watch: Watch | null;
  cause: Cause | null;
  firings: number;
}

export function fromRaw(r: RawRow): WatchRow {
  return {
    killId: r.kill_id,
    targetModule: r.target_module,
    decisionId: r.decision_id,
    requestId: r.request_id,
    containerId: r.container_id,
    resurrectionStartedAt: r.resurrection_started_at === null ? null : new Date(r.resurrection_started_at).toISOString(),
    phase: r.phase,
    watch: r.watch,
    cause: r.cause,
    firings: r.firings,
  };
}

/** What others append about a kill that the monitor keeps (see followKill). */
export const FOLLOWED_TYPES = ['DecisionMade', 'ResurrectionStarted', 'ResurrectionSucceeded', 'RollbackRequested', 'RollbackStarted'] as const;
export type FollowedEvent = DecisionMade | ResurrectionStarted | ResurrectionSucceeded | RollbackRequested | RollbackStarted;

/**
 * The row after another service's event about its kill, or null when it
 * changes nothing: a kill that may be resurrected (not denied, not
 * observe-only) gets a row waiting for its resurrection, which remembers what
 * the watch will need; the watch begins when the module is up again (its
 * first check due at once); a rollback asked for or begun stops the checks.
 * The live step and the rebuild follow kills by this one rule.
 */
export function followKill(row: WatchRow | null, logged: LoggedEvent<FollowedEvent>, settings: MonitorSettings): WatchRow | null {
  const e = logged.data;
  switch (e.type) {
    case 'DecisionMade': {
      const { decision } = e;
      if (decision.outcome === 'deny' || decision.observeOnly || row !== null) return null;
      return { killId: e.killId, targetModule: e.targetModule, decisionId: decision.decisionId, requestId: null, containerId: null, resurrectionStartedAt: null, phase: AWAITING, watch: null, cause: null, firings: 0 };
    }
    case 'ResurrectionStarted':
      return row?.phase === AWAITING ? { ...row, requestId: e.requestId, containerId: e.containerId, resurrectionStartedAt: e.at } : null;
    case 'ResurrectionSucceeded': {
      if (row?.phase !== AWAITING || row.requestId !== e.requestId || row.resurrectionStartedAt === null) return null;
      const start = {
        killId: e.killId,
        requestId: e.requestId,
        decisionId: row.decisionId,
        targetModule: row.targetModule,
        containerId: e.containerId,
        resurrectionStartedAt: row.resurrectionStartedAt,
        monitoringStartedAt: e.at,
      };
      return { ...withWatch(row, startWatch(start, settings)), containerId: e.containerId, cause: causeOf(logged) };
    }
    case 'RollbackRequested':
    case 'RollbackStarted':
      return row?.watch ? withWatch(row, evolveWatch(row.watch, e, settings)) : null;
  }
}

/** A row whose resurrection failed for good before any watch began: its outcome (failure) is recorded, nothing more to do. */
export function closedBeforeWatch(row: WatchRow): WatchRow {
  return { ...row, phase: 'closed' };
}

/** A row whose watch holds the kill's phase. */
export function withWatch(row: WatchRow, watch: Watch): WatchRow {
  return { ...row, phase: watch.phase, watch };
}

/**
 * The rows a round of the monitor's step touches, loaded and locked at once
 * (in kill order, so replicas never wait on each other in a circle): the
 * kills its events are about, and the watches a reported kill may re-kill.
 */
export async function lockRows(tx: EntityManager, killIds: readonly string[], modules: readonly string[]): Promise<WatchRow[]> {
  if (killIds.length === 0 && modules.length === 0) return [];
  const rows = await tx.query<RawRow[]>(
    `SELECT * FROM watches WHERE kill_id = ANY($1) OR (target_module = ANY($2) AND phase = ANY($3)) ORDER BY kill_id FOR UPDATE`,
    [[...new Set(killIds)], [...new Set(modules)], [...REKILLABLE_PHASES]],
  );
  return rows.map(fromRaw);
}

/** One row, locked: how the checks record what they saw. */
export async function lockRow(tx: EntityManager, killId: string): Promise<WatchRow | null> {
  const [row] = await tx.query<RawRow[]>(`SELECT * FROM watches WHERE kill_id = $1 FOR UPDATE`, [killId]);
  return row ? fromRaw(row) : null;
}

/**
 * Writes rows back with each watch's next due time. A row whose due time
 * moved, or that a check is done with (`release`), is no longer claimed.
 */
export async function saveRows(tx: EntityManager, rows: readonly WatchRow[], release = false): Promise<void> {
  if (rows.length === 0) return;
  const data = rows.map((r) => ({
    kill_id: r.killId,
    target_module: r.targetModule,
    decision_id: r.decisionId,
    request_id: r.requestId,
    container_id: r.containerId,
    resurrection_started_at: r.resurrectionStartedAt,
    phase: r.phase,
    watch: r.watch,
    cause: r.cause,
    due_at: r.watch?.dueAt ?? null,
  }));
  await tx.query(
    `INSERT INTO watches (kill_id, target_module, decision_id, request_id, container_id, resurrection_started_at, phase, watch, cause, due_at)
     SELECT * FROM jsonb_to_recordset($1::jsonb) AS r(kill_id text, target_module text, decision_id text, request_id text, container_id text,
                                                      resurrection_started_at timestamptz, phase text, watch jsonb, cause jsonb, due_at timestamptz)
     ON CONFLICT (kill_id) DO UPDATE SET decision_id = EXCLUDED.decision_id, request_id = EXCLUDED.request_id, container_id = EXCLUDED.container_id,
       resurrection_started_at = EXCLUDED.resurrection_started_at, phase = EXCLUDED.phase, watch = EXCLUDED.watch, cause = EXCLUDED.cause, due_at = EXCLUDED.due_at,
       claimed_until = CASE WHEN $2 OR watches.due_at IS DISTINCT FROM EXCLUDED.due_at THEN NULL ELSE watches.claimed_until END`,
    [JSON.stringify(data), release],
  );
}

/**
 * The id of a kill's outcome, derived from the kill: the monitor records one
 * outcome per kill, so a second record of it (a check fired again after the
 * save that followed its append failed) carries the same id, and every reader
 * takes it for the same outcome.
 */
export function outcomeIdOf(killId: string): string {
  return derivedUuid(`outcome/${killId}`);
}
