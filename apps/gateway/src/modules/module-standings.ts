import { Inject, Injectable } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import { toStandingSettings, type MedicConfig } from '@medic/config';
import { QUARANTINE_WINDOW_HOURS, type ReKillStanding, type StandingSettings } from '@medic/domain';
import { DATA_SOURCE, MEDIC_CONFIG } from '@medic/eventlog';
import { ModuleReleaseRow, standingFrom, weighingKillsSql, type WeighingKill } from '@medic/standing';

/** One module as /modules shows it: counts from its kills, and its standing now. */
export interface ModuleSummary extends ReKillStanding {
  readonly module: string;
  readonly kills: number;
  readonly lastKillAt: Date | null;
  readonly resurrections: number;
  readonly lastResurrectionAt: Date | null;
  readonly reKillsLastDay: number;
  readonly lastReKillAt: Date | null;
}

interface Row {
  target_module: string;
  kills: number;
  last_kill_at: Date | null;
  resurrections: number;
  last_resurrection_at: Date | null;
  re_kills_last_day: number;
  last_re_kill_at: Date | null;
  released_at: Date | null;
  actor: string | null;
  reason: string | null;
  weighing: WeighingKill[];
}

/**
 * Every module Medic has seen, and where it stands: counts in SQL over the
 * gateway's projections, backoff and quarantine by the domain's rules over
 * the kills since each module's last release.
 */
@Injectable()
export class ModuleStandings {
  private readonly settings: StandingSettings;

  constructor(
    @Inject(DATA_SOURCE) private readonly dataSource: DataSource,
    @Inject(MEDIC_CONFIG) config: MedicConfig,
  ) {
    this.settings = toStandingSettings(config);
  }

  /**
   * Every module seen, or just `module`; the last killed first. With
   * `reKilledOnly`, only the modules killed again after a resurrection since
   * their last release: the only ones that can be quarantined, found on their
   * own index however long the history.
   */
  async list(module: string | null, now = new Date(), { reKilledOnly = false } = {}): Promise<ModuleSummary[]> {
    const rows = await this.dataSource.query<Row[]>(
      `WITH reKilled AS (
         SELECT DISTINCT k.target_module FROM module_kills k LEFT JOIN module_releases r USING (target_module)
          WHERE k.re_killed_at IS NOT NULL AND k.re_killed_at > coalesce(r.released_at, '-infinity')),
       counts AS (
         SELECT target_module, count(reported_at)::int AS kills, max(reported_at) AS last_kill_at,
                count(started_at)::int AS resurrections, max(started_at) AS last_resurrection_at,
                count(*) FILTER (WHERE re_killed_at > $2)::int AS re_kills_last_day, max(re_killed_at) AS last_re_kill_at
           FROM module_kills
          WHERE ($1::text IS NULL OR target_module = $1) AND (NOT $3 OR target_module IN (SELECT target_module FROM reKilled))
          GROUP BY target_module)
       SELECT c.*, r.released_at, r.actor, r.reason, ${weighingKillsSql('c.target_module', 'r.released_at')} AS weighing
         FROM counts c LEFT JOIN module_releases r USING (target_module)
        ORDER BY c.last_kill_at DESC NULLS LAST, c.target_module`,
      [module, new Date(now.getTime() - QUARANTINE_WINDOW_HOURS * 3_600_000), reKilledOnly],
    );
    return rows.map((row) => this.summary(row, now));
  }

  /** The modules quarantined now. */
  async quarantined(now = new Date()): Promise<ModuleSummary[]> {
    return (await this.list(null, now, { reKilledOnly: true })).filter((m) => m.quarantine !== null);
  }

  async one(module: string): Promise<ModuleSummary | null> {
    return (await this.list(module))[0] ?? null;
  }

  private summary(row: Row, now: Date): ModuleSummary {
    const release = row.released_at === null ? null : Object.assign(new ModuleReleaseRow(), { targetModule: row.target_module, releasedAt: row.released_at, actor: row.actor, reason: row.reason });
    return {
      module: row.target_module,
      kills: row.kills,
      lastKillAt: row.last_kill_at,
      resurrections: row.resurrections,
      lastResurrectionAt: row.last_resurrection_at,
      reKillsLastDay: row.re_kills_last_day,
      lastReKillAt: row.last_re_kill_at,
      ...standingFrom(row.target_module, row.weighing, release, this.settings, now.toISOString()),
    };
  }
}
