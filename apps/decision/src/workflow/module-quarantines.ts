import type { EntityManager } from 'typeorm';
import { laterRelease, quarantineOf, releaseOf, type ModuleQuarantine, type ModuleRelease, type ModuleReleased } from '@medic/domain';

/** What the round's load query returns about the modules it names. */
export interface LoadedQuarantineRows {
  readonly releases: readonly { target_module: string; released_at: string; actor: string; reason: string | null }[];
  /** Re-kills after each module's last release. */
  readonly rekills: readonly { target_module: string; re_killed_at: string }[];
}

/** The part of the load query that reads them, for modules in the CTE `m`. */
export const QUARANTINE_ROWS_SQL = `
  (SELECT coalesce(json_agg(r), '[]') FROM
     (SELECT target_module, released_at, actor, reason FROM module_releases WHERE target_module IN (SELECT target_module FROM m)) r) AS releases,
  (SELECT coalesce(json_agg(x), '[]') FROM
     (SELECT q.target_module, q.re_killed_at FROM module_rekills q LEFT JOIN module_releases r USING (target_module)
       WHERE q.target_module IN (SELECT target_module FROM m) AND (r.released_at IS NULL OR q.re_killed_at > r.released_at)) x) AS rekills`;

const iso = (t: string): string => new Date(t).toISOString();

/**
 * The re-kills and releases of the modules a round decides about, and those
 * the round folds in: whether a module is quarantined is asked of them. Rows
 * are facts that do not depend on the order they are folded in (one re-kill
 * per kill, the latest release), so a rebuild comes to the same rows.
 */
export class ModuleQuarantines {
  private readonly newReKills: { killId: string; module: string; at: string }[] = [];
  private readonly newReleases = new Map<string, ModuleRelease>();

  private constructor(
    private readonly reKills: Map<string, string[]>,
    private readonly releases: Map<string, ModuleRelease>,
  ) {}

  static from(rows: LoadedQuarantineRows | null): ModuleQuarantines {
    const reKills = new Map<string, string[]>();
    for (const r of rows?.rekills ?? []) reKills.set(r.target_module, [...(reKills.get(r.target_module) ?? []), iso(r.re_killed_at)]);
    const releases = new Map((rows?.releases ?? []).map((r) => [r.target_module, { at: iso(r.released_at), actor: r.actor, reason: r.reason }]));
    return new ModuleQuarantines(reKills, releases);
  }

  reKilled(killId: string, module: string, at: string): void {
    this.newReKills.push({ killId, module, at });
    this.reKills.set(module, [...(this.reKills.get(module) ?? []), at]);
  }

  released(event: ModuleReleased): void {
    const release = releaseOf(event);
    this.newReleases.set(event.module, laterRelease(this.newReleases.get(event.module) ?? null, release)!);
    this.releases.set(event.module, laterRelease(this.releases.get(event.module) ?? null, release)!);
  }

  quarantineOf(module: string, afterReKills: number): ModuleQuarantine | null {
    return quarantineOf(module, this.reKills.get(module) ?? [], this.releases.get(module) ?? null, afterReKills);
  }

  async save(tx: EntityManager): Promise<void> {
    if (this.newReKills.length > 0) {
      await tx.query(
        `INSERT INTO module_rekills (kill_id, target_module, re_killed_at)
         SELECT * FROM unnest($1::text[], $2::text[], $3::timestamptz[]) ON CONFLICT (kill_id) DO NOTHING`,
        [this.newReKills.map((r) => r.killId), this.newReKills.map((r) => r.module), this.newReKills.map((r) => r.at)],
      );
    }
    const releases = [...this.newReleases];
    if (releases.length > 0) {
      // The latest release wins, whichever order they are written in (ties: the actor's name, as laterRelease).
      await tx.query(
        `INSERT INTO module_releases (target_module, released_at, actor, reason)
         SELECT * FROM unnest($1::text[], $2::timestamptz[], $3::text[], $4::text[])
         ON CONFLICT (target_module) DO UPDATE SET released_at = EXCLUDED.released_at, actor = EXCLUDED.actor, reason = EXCLUDED.reason
           WHERE (EXCLUDED.released_at, EXCLUDED.actor COLLATE "C") > (module_releases.released_at, module_releases.actor COLLATE "C")`,
        [releases.map(([m]) => m), releases.map(([, r]) => r.at), releases.map(([, r]) => r.actor), releases.map(([, r]) => r.reason)],
      );
    }
    this.newReKills.length = 0;
    this.newReleases.clear();
  }
}
