import { Column, Entity, PrimaryColumn } from 'typeorm';
import { MODULE_STANDING_DDL, MODULE_STANDING_ENTITIES } from '@medic/standing';

/** Which module each decided kill is about, so that a later approval can be acted on. */
@Entity({ name: 'kill_modules' })
export class KillModule {
  @PrimaryColumn('text', { name: 'kill_id' }) killId!: string;
  @Column('text', { name: 'target_module' }) targetModule!: string;
}

export const EXECUTOR_ENTITIES = [KillModule, ...MODULE_STANDING_ENTITIES];

export const EXECUTOR_DDL = [
  `CREATE TABLE IF NOT EXISTS {schema}.kill_modules (
    kill_id text PRIMARY KEY,
    target_module text NOT NULL
  )`,
  ...MODULE_STANDING_DDL,
];
