import type { EntityManager } from 'typeorm';
import { reKillStanding, type ReKillStanding, type StandingSettings } from '@medic/domain';
import { ModuleReleaseRow } from './module-standing.entity';
import { killFacts, releaseFacts } from './module-standing.projections';

/** More re-kills in a row than this change nothing: the backoff is capped long before. */
const RECENT_KILLS = 200;

/**
 * The kills that weigh on a module's standing, as JSON rows {kill_id,
 * started_at, re_killed_at}: re-killed after its last release, or resurrected
 * since and not re-killed; the latest first. `module` and `releasedAt` are SQL
 * expressions (a parameter, or a column of the outer query).
 */
export function weighingKillsSql(module: string, releasedAt: string): string {
  const since = `coalesce(${releasedAt}, '-infinity')`;
  return `(SELECT coalesce(json_agg(w), '[]') FROM
     (SELECT kill_id, started_at, re_killed_at FROM module_kills
       WHERE target_module = ${module} AND (re_killed_at > ${since} OR (re_killed_at IS NULL AND started_at > ${since}))
       ORDER BY coalesce(re_killed_at, started_at) DESC LIMIT ${RECENT_KILLS}) w)`;
}

/** One weighing kill, as weighingKillsSql gives it. */
export interface WeighingKill {
  readonly kill_id: string;
  readonly started_at: string | null;
  readonly re_killed_at: string | null;
}

/** A module's backoff and quarantine at `at`, from the weighing kills and its last release. */
export function standingFrom(module: string, kills: readonly WeighingKill[], release: ModuleReleaseRow | null, settings: StandingSettings, at: string): ReKillStanding {
  const facts = kills.map((k) =>
    killFacts({ killId: k.kill_id, targetModule: module, reportedAt: null, startedAt: k.started_at === null ? null : new Date(k.started_at), reKilledAt: k.re_killed_at === null ? null : new Date(k.re_killed_at) }),
  );
  return reKillStanding(module, facts, release === null ? null : releaseFacts(release), settings, at);
}

/** A module's backoff and quarantine at `at`, read from the service's schema. */
export async function standingOf(tx: EntityManager, module: string, settings: StandingSettings, at: string): Promise<ReKillStanding> {
  const release = await tx.findOneBy(ModuleReleaseRow, { targetModule: module });
  const [row] = await tx.query<{ kills: WeighingKill[] }[]>(`SELECT ${weighingKillsSql('$1', '$2::timestamptz')} AS kills`, [module, release?.releasedAt ?? null]);
  return standingFrom(module, row?.kills ?? [], release, settings, at);
}
