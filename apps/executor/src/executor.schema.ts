import { Column, Entity, PrimaryColumn } from 'typeorm';
import type { ContainerSpec } from './container-snapshot';
import { MODULE_STANDING_DDL, MODULE_STANDING_ENTITIES } from '@medic/standing';

/** Which module each decided kill is about, and how long an authorization to bring it back stays valid, so that a later approval can be acted on. */
@Entity({ name: 'kill_modules' })
export class KillModule {
  @PrimaryColumn('text', { name: 'kill_id' }) killId!: string;
  @Column('text', { name: 'target_module' }) targetModule!: string;
  /** The decision's timeout_minutes; null in rows folded before it was kept. */
  @Column('int', { name: 'valid_minutes', nullable: true }) validMinutes!: number | null;
  /** The instance Smith killed; null when the decision did not carry it. */
  @Column('text', { name: 'target_instance_id', nullable: true }) targetInstanceId!: string | null;
  /** The container its last resurrection brought back (what a rollback stops); null until one did. */
  @Column('text', { name: 'container_id', nullable: true }) containerId!: string | null;
}

/**
 * The last spec of each killed instance's container, taken when it was killed: what a gone
 * container is made again from. `instance` is Smith's target_instance_id ('' in rows kept
 * before instances were).
 */
@Entity({ name: 'container_snapshots' })
export class ContainerSnapshot {
  @PrimaryColumn('text', { name: 'module' }) module!: string;
  @PrimaryColumn('text', { name: 'instance' }) instance!: string;
  @Column('text', { name: 'container_id' }) containerId!: string;
  /** The kill on whose arrival it was taken. */
  @Column('text', { name: 'kill_id' }) killId!: string;
  @Column('jsonb', { name: 'spec' }) spec!: ContainerSpec;
  @Column('timestamptz', { name: 'taken_at' }) takenAt!: Date;
}

/**
 * Each kill as the order of resurrections goes (see the domain's `dependencyWait` and `verdictWait`):
 * the modules its report says depend on it, when its module came back or its kill was settled without that,
 * and when its resurrection started, was first checked by the monitor and got the monitor's verdict.
 */
@Entity({ name: 'cascade_kills' })
export class CascadeKillRow {
  @PrimaryColumn('text', { name: 'kill_id' }) killId!: string;
  @Column('text', { name: 'target_module' }) targetModule!: string;
  @Column('text', { name: 'dependents', array: true }) dependents!: string[];
  @Column('timestamptz', { name: 'reported_at' }) reportedAt!: Date;
  /** Null while its module may still come back. */
  @Column('timestamptz', { name: 'done_at', nullable: true }) doneAt!: Date | null;
  /** The kills its resurrection is held back for now; empty when it is not held back for any. */
  @Column('text', { name: 'waiting_for', array: true }) waitingFor!: string[];
  @Column('timestamptz', { name: 'started_at', nullable: true }) startedAt!: Date | null;
  @Column('timestamptz', { name: 'succeeded_at', nullable: true }) succeededAt!: Date | null;
  @Column('timestamptz', { name: 'watched_at', nullable: true }) watchedAt!: Date | null;
  @Column('timestamptz', { name: 'verdict_at', nullable: true }) verdictAt!: Date | null;
}

export const EXECUTOR_ENTITIES = [KillModule, ContainerSnapshot, CascadeKillRow, ...MODULE_STANDING_ENTITIES];

/** The executor's step, whose positions bound what a rebuild folds of others' events. */
export const EXECUTOR_STEP = 'executor';

export const EXECUTOR_DDL = [
  `CREATE TABLE IF NOT EXISTS {schema}.kill_modules (
    kill_id text PRIMARY KEY,
    target_module text NOT NULL
  )`,
  `ALTER TABLE {schema}.kill_modules ADD COLUMN IF NOT EXISTS valid_minutes int`,
  `ALTER TABLE {schema}.kill_modules ADD COLUMN IF NOT EXISTS target_instance_id text`,
  `ALTER TABLE {schema}.kill_modules ADD COLUMN IF NOT EXISTS container_id text`,
  `CREATE TABLE IF NOT EXISTS {schema}.container_snapshots (
    module text NOT NULL,
    instance text NOT NULL,
    container_id text NOT NULL,
    kill_id text NOT NULL,
    spec jsonb NOT NULL,
    taken_at timestamptz NOT NULL,
    PRIMARY KEY (module, instance)
  )`,
  // A table made when snapshots were kept per module gets its instance column and key once.
  `DO $$ BEGIN
     IF NOT EXISTS (SELECT 1 FROM information_schema.columns WHERE table_schema = '{schema}' AND table_name = 'container_snapshots' AND column_name = 'instance') THEN
       ALTER TABLE {schema}.container_snapshots ADD COLUMN instance text NOT NULL DEFAULT '';
       ALTER TABLE {schema}.container_snapshots DROP CONSTRAINT container_snapshots_pkey;
       ALTER TABLE {schema}.container_snapshots ADD PRIMARY KEY (module, instance);
     END IF;
   END $$`,
  // Which kills have a rollback intent: one per kill, whoever asked first (see rollback.handlers.ts).
  `CREATE TABLE IF NOT EXISTS {schema}.kill_rollbacks (
    kill_id text PRIMARY KEY,
    request_id text NOT NULL,
    actor text NOT NULL,
    started_at timestamptz NOT NULL
  )`,
  `CREATE TABLE IF NOT EXISTS {schema}.cascade_kills (
    kill_id text PRIMARY KEY,
    target_module text NOT NULL,
    dependents text[] NOT NULL,
    reported_at timestamptz NOT NULL,
    done_at timestamptz
  )`,
  `CREATE INDEX IF NOT EXISTS cascade_kills_reported ON {schema}.cascade_kills (reported_at)`,
  `ALTER TABLE {schema}.cascade_kills ADD COLUMN IF NOT EXISTS waiting_for text[] NOT NULL DEFAULT '{}'`,
  // The few dependents held back at any time, looked at whenever a kill settles.
  `CREATE INDEX IF NOT EXISTS cascade_kills_waiting ON {schema}.cascade_kills (kill_id) WHERE cardinality(waiting_for) > 0 AND done_at IS NULL`,
  `ALTER TABLE {schema}.cascade_kills ADD COLUMN IF NOT EXISTS started_at timestamptz`,
  `ALTER TABLE {schema}.cascade_kills ADD COLUMN IF NOT EXISTS watched_at timestamptz`,
  `ALTER TABLE {schema}.cascade_kills ADD COLUMN IF NOT EXISTS verdict_at timestamptz`,
  // The resurrections the monitor watches and has not judged yet, looked up by module.
  `CREATE INDEX IF NOT EXISTS cascade_kills_unjudged ON {schema}.cascade_kills (target_module) WHERE watched_at IS NOT NULL AND verdict_at IS NULL`,
  `ALTER TABLE {schema}.cascade_kills ADD COLUMN IF NOT EXISTS succeeded_at timestamptz`,
  // The resurrections back and not judged yet (the monitor watches them, or is to), by module; and whether it was ever seen at work.
  `CREATE INDEX IF NOT EXISTS cascade_kills_unjudged_back ON {schema}.cascade_kills (target_module) WHERE succeeded_at IS NOT NULL AND verdict_at IS NULL`,
  `CREATE INDEX IF NOT EXISTS cascade_kills_watched ON {schema}.cascade_kills (watched_at) WHERE watched_at IS NOT NULL`,
  ...MODULE_STANDING_DDL,
];
