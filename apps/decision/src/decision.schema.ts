import { Column, Entity, PrimaryColumn } from 'typeorm';
import type { KillState, TimerCommand } from '@medic/domain';
import { jsonbColumnsToJson } from '@medic/eventlog';
import { DECISION_THRESHOLDS_DDL, DecisionThresholdsRow, MODULE_RELEASES_DDL, ModuleReleaseRow } from '@medic/standing';

/*
 * The decision service's state, all of it folded from the kill and control logs (and so
 * rebuildable from offset 0): each kill's workflow state, each module's kills
 * and auto-resurrections per day, its re-kills and its last release from
 * quarantine, and the timers the kills wait for.
 */

/** One kill's folded workflow state (`evolve` over its events). */
@Entity({ name: 'kill_state' })
export class KillStateRow {
  @PrimaryColumn('text', { name: 'kill_id' }) killId!: string;
  /** The kill-events partition that holds the kill's events. */
  @Column('int', { name: 'partition' }) partition!: number;
  @Column('text', { name: 'status' }) status!: string;
  @Column('text', { name: 'target_module' }) targetModule!: string;
  /** json, not jsonb: read and written whole, by key, never queried inside; parsing into jsonb doubled the cost of each write. */
  @Column('json', { name: 'state' }) state!: KillState;
  /** When the policy approved it on its own (it spends the hourly auto budget from then on). */
  @Column('timestamptz', { name: 'auto_approved_at', nullable: true }) autoApprovedAt!: Date | null;
  /** While it is an item of the approval queue (`awaitsApproval`): the queue's length bounds what is queued. */
  @Column('boolean', { name: 'awaits_approval' }) awaitsApproval!: boolean;
  /** When the kill was reported (its KillReported): kills reported close together trip the burst limit. */
  @Column('timestamptz', { name: 'reported_at', nullable: true }) reportedAt!: Date | null;
}

/**
 * Per module, day and kill-events partition: a module's history costs at most a
 * month of rows whatever its size, and partitions never wait on each other's rows.
 */
@Entity({ name: 'module_daily' })
export class ModuleDayRow {
  @PrimaryColumn('text', { name: 'target_module' }) targetModule!: string;
  @PrimaryColumn('date', { name: 'day' }) day!: string;
  @PrimaryColumn('int', { name: 'source_partition' }) sourcePartition!: number;
  @Column('int', { name: 'kills' }) kills!: number;
  @Column('int', { name: 'resurrections' }) resurrections!: number;
  /** Outcomes of the day's resurrections: stayed stable, re-killed, rolled back. */
  @Column('int', { name: 'stable' }) stable!: number;
  @Column('int', { name: 're_kills' }) reKills!: number;
  @Column('int', { name: 'rollbacks' }) rollbacks!: number;
}

/** A command to send at a later time (see `timersOf`); fired by the timer worker. */
@Entity({ name: 'kill_timers' })
export class KillTimerRow {
  @PrimaryColumn('text', { name: 'timer_id' }) timerId!: string;
  @Column('text', { name: 'kill_id' }) killId!: string;
  @Column('timestamptz', { name: 'due_at' }) dueAt!: Date;
  @Column('jsonb', { name: 'command' }) command!: TimerCommand;
  /** Set while a firing is in flight, so other replicas leave the timer alone until then. */
  @Column('timestamptz', { name: 'claimed_until', nullable: true }) claimedUntil!: Date | null;
  @Column('int', { name: 'firings' }) firings!: number;
  /** The trace of the event that set it: its firing goes on with the kill's trace. */
  @Column('text', { name: 'traceparent', nullable: true }) traceparent!: string | null;
}

/** A resurrection its module was killed again after (OutcomeRecorded re_killed): re-kills quarantine a module. */
@Entity({ name: 'module_rekills' })
export class ModuleReKillRow {
  @PrimaryColumn('text', { name: 'kill_id' }) killId!: string;
  @Column('text', { name: 'target_module' }) targetModule!: string;
  @Column('timestamptz', { name: 're_killed_at' }) reKilledAt!: Date;
}

export const DECISION_ENTITIES = [KillStateRow, ModuleDayRow, KillTimerRow, ModuleReKillRow, ModuleReleaseRow, DecisionThresholdsRow];

export const DECISION_DDL = [
  `CREATE TABLE IF NOT EXISTS {schema}.kill_state (
    kill_id text PRIMARY KEY,
    partition int NOT NULL,
    status text NOT NULL,
    target_module text NOT NULL,
    state json NOT NULL,
    auto_approved_at timestamptz,
    awaits_approval boolean NOT NULL DEFAULT false
  )`,
  // A schema made when the state was jsonb is converted.
  jsonbColumnsToJson('kill_state', ['state']),
  // Written on every round, read by key: compressing it costs the shared CPU more than the disk it saves.
  `ALTER TABLE {schema}.kill_state ALTER COLUMN state SET STORAGE EXTERNAL`,
  `CREATE INDEX IF NOT EXISTS kill_state_auto ON {schema}.kill_state (auto_approved_at) WHERE auto_approved_at IS NOT NULL`,
  // A schema made before the queue was bounded: its queued kills are marked from their state.
  `DO $$ BEGIN
     IF NOT EXISTS (SELECT 1 FROM information_schema.columns WHERE table_schema = '{schema}' AND table_name = 'kill_state' AND column_name = 'awaits_approval') THEN
       ALTER TABLE {schema}.kill_state ADD COLUMN awaits_approval boolean NOT NULL DEFAULT false;
       UPDATE {schema}.kill_state SET awaits_approval = true WHERE status = 'PENDING' AND state->>'approval' IS NOT NULL;
     END IF;
   END $$`,
  `CREATE INDEX IF NOT EXISTS kill_state_queued ON {schema}.kill_state (kill_id) WHERE awaits_approval`,
  // A schema made before kill bursts were counted: its kills get the time of their first status (KillReported's).
  `DO $$ BEGIN
     IF NOT EXISTS (SELECT 1 FROM information_schema.columns WHERE table_schema = '{schema}' AND table_name = 'kill_state' AND column_name = 'reported_at') THEN
       ALTER TABLE {schema}.kill_state ADD COLUMN reported_at timestamptz;
       UPDATE {schema}.kill_state SET reported_at = (state->'history'->0->>'at')::timestamptz;
     END IF;
   END $$`,
  `CREATE INDEX IF NOT EXISTS kill_state_reported ON {schema}.kill_state (reported_at)`,
  `CREATE TABLE IF NOT EXISTS {schema}.module_daily (
    target_module text NOT NULL,
    day date NOT NULL,
    source_partition int NOT NULL,
    kills int NOT NULL,
    resurrections int NOT NULL,
    stable int NOT NULL DEFAULT 0,
    re_kills int NOT NULL DEFAULT 0,
    rollbacks int NOT NULL DEFAULT 0,
    PRIMARY KEY (target_module, day, source_partition)
  )`,
  ...['stable', 're_kills', 'rollbacks'].map((c) => `ALTER TABLE {schema}.module_daily ADD COLUMN IF NOT EXISTS ${c} int NOT NULL DEFAULT 0`),
  `CREATE TABLE IF NOT EXISTS {schema}.kill_timers (
    timer_id text PRIMARY KEY,
    kill_id text NOT NULL,
    due_at timestamptz NOT NULL,
    command jsonb NOT NULL,
    claimed_until timestamptz,
    firings int NOT NULL DEFAULT 0
  )`,
  `CREATE INDEX IF NOT EXISTS kill_timers_due ON {schema}.kill_timers (due_at)`,
  `ALTER TABLE {schema}.kill_timers ADD COLUMN IF NOT EXISTS traceparent text`,
  `CREATE INDEX IF NOT EXISTS kill_timers_kill ON {schema}.kill_timers (kill_id)`,
  `CREATE TABLE IF NOT EXISTS {schema}.module_rekills (
    kill_id text PRIMARY KEY,
    target_module text NOT NULL,
    re_killed_at timestamptz NOT NULL
  )`,
  `CREATE INDEX IF NOT EXISTS module_rekills_module ON {schema}.module_rekills (target_module, re_killed_at)`,
  // The latest release of each module from quarantine (ModuleReleased on the control log).
  ...MODULE_RELEASES_DDL,
  // The thresholds an admin last set (ThresholdsUpdated on the control log), over the configured ones.
  ...DECISION_THRESHOLDS_DDL,
];
