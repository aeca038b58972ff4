import { Column, Entity, PrimaryColumn } from 'typeorm';

/*
 * A read model of each module's standing, kept by every service that needs
 * it in its own schema: when each kill of the module was reported, its
 * resurrection started and the module was killed again, and the module's
 * last release from quarantine. Backoff and quarantine are computed from it
 * by the domain (reKillStanding).
 */

@Entity({ name: 'module_kills' })
export class ModuleKillRow {
  @PrimaryColumn('text', { name: 'kill_id' }) killId!: string;
  @Column('text', { name: 'target_module' }) targetModule!: string;
  /** Null where the service does not follow kill reports. */
  @Column('timestamptz', { name: 'reported_at', nullable: true }) reportedAt!: Date | null;
  @Column('timestamptz', { name: 'started_at', nullable: true }) startedAt!: Date | null;
  @Column('timestamptz', { name: 're_killed_at', nullable: true }) reKilledAt!: Date | null;
}

@Entity({ name: 'module_releases' })
export class ModuleReleaseRow {
  @PrimaryColumn('text', { name: 'target_module' }) targetModule!: string;
  @Column('timestamptz', { name: 'released_at' }) releasedAt!: Date;
  /** The admin (API key name) who released it. */
  @Column('text', { name: 'actor' }) actor!: string;
  @Column('text', { name: 'reason', nullable: true }) reason!: string | null;
}

export const MODULE_KILLS_DDL = [
  `CREATE TABLE IF NOT EXISTS {schema}.module_kills (
    kill_id text PRIMARY KEY,
    target_module text NOT NULL,
    reported_at timestamptz,
    started_at timestamptz,
    re_killed_at timestamptz
  )`,
  `CREATE INDEX IF NOT EXISTS module_kills_module ON {schema}.module_kills (target_module)`,
  // Re-kills are few beside kills: the modules that may be quarantined are found without reading every kill.
  `CREATE INDEX IF NOT EXISTS module_kills_re_killed ON {schema}.module_kills (target_module, re_killed_at) WHERE re_killed_at IS NOT NULL`,
];

export const MODULE_RELEASES_DDL = [
  `CREATE TABLE IF NOT EXISTS {schema}.module_releases (
    target_module text PRIMARY KEY,
    released_at timestamptz NOT NULL,
    actor text NOT NULL,
    reason text
  )`,
];

export const MODULE_STANDING_ENTITIES = [ModuleKillRow, ModuleReleaseRow];
export const MODULE_STANDING_DDL = [...MODULE_KILLS_DDL, ...MODULE_RELEASES_DDL];
