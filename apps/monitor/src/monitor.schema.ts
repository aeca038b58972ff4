/*
 * The monitor's state, folded from the kill log: one row per kill that may
 * be resurrected, from its decision to its outcome. The row is also the
 * watch's timer (due_at, claimed_until, firings; see DurableTimers) and the
 * lock that serialises everything done about the kill: the step handling
 * its events and re-kills, and the checks fired by the timer.
 */

/** The monitor's step on the kill log (its positions and dead letters). */
export const MONITOR_STEP = 'monitor';
/** The CloudEvents source of what the monitor appends. */
export const MONITOR_SOURCE = 'medic/monitor';

/** Before ResurrectionSucceeded a row only remembers what the watch will need; then it holds the watch. */
export const AWAITING = 'awaiting';

/** Phases in which a kill of the same module is a re-kill of this one (see recordRekill). */
export const REKILLABLE_PHASES = ['monitoring', 'stopped', 'anomaly', 'stable'] as const;

export const MONITOR_DDL = [
  `CREATE TABLE IF NOT EXISTS {schema}.watches (
    kill_id text PRIMARY KEY,
    target_module text NOT NULL,
    decision_id text NOT NULL,
    request_id text,
    container_id text,
    resurrection_started_at timestamptz,
    phase text NOT NULL,
    watch jsonb,
    due_at timestamptz,
    claimed_until timestamptz,
    firings int NOT NULL DEFAULT 0
  )`,
  `ALTER TABLE {schema}.watches ADD COLUMN IF NOT EXISTS cause jsonb`,
  `CREATE INDEX IF NOT EXISTS watches_due ON {schema}.watches (due_at) WHERE due_at IS NOT NULL`,
  `CREATE INDEX IF NOT EXISTS watches_rekillable ON {schema}.watches (target_module) WHERE phase IN (${REKILLABLE_PHASES.map((p) => `'${p}'`).join(', ')})`,
];
