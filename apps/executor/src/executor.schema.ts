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
}

/** The last spec of each module's container, taken when the module was killed: what a gone container is made again from. */
@Entity({ name: 'container_snapshots' })
export class ContainerSnapshot {
  @PrimaryColumn('text', { name: 'module' }) module!: string;
  @Column('text', { name: 'container_id' }) containerId!: string;
  /** The kill on whose arrival it was taken. */
  @Column('text', { name: 'kill_id' }) killId!: string;
  @Column('jsonb', { name: 'spec' }) spec!: ContainerSpec;
  @Column('timestamptz', { name: 'taken_at' }) takenAt!: Date;
}

export const EXECUTOR_ENTITIES = [KillModule, ContainerSnapshot, ...MODULE_STANDING_ENTITIES];

/** The executor's step, whose positions bound what a rebuild folds of others' events. */
export const EXECUTOR_STEP = 'executor';

export const EXECUTOR_DDL = [
  `CREATE TABLE IF NOT EXISTS {schema}.kill_modules (
    kill_id text PRIMARY KEY,
    target_module text NOT NULL
  )`,
  `ALTER TABLE {schema}.kill_modules ADD COLUMN IF NOT EXISTS valid_minutes int`,
  `CREATE TABLE IF NOT EXISTS {schema}.container_snapshots (
    module text PRIMARY KEY,
    container_id text NOT NULL,
    kill_id text NOT NULL,
    spec jsonb NOT NULL,
    taken_at timestamptz NOT NULL
  )`,
  // Which kills have a rollback intent: one per kill, whoever asked first (see rollback.handlers.ts).
  `CREATE TABLE IF NOT EXISTS {schema}.kill_rollbacks (
    kill_id text PRIMARY KEY,
    request_id text NOT NULL,
    actor text NOT NULL,
    started_at timestamptz NOT NULL
  )`,
  ...MODULE_STANDING_DDL,
];
