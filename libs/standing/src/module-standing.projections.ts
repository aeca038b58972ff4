import { evolveModuleKill, laterRelease, releaseOf, type ControlEvent, type KillEvent, type KillEventType, type ModuleKillFacts, type ModuleRelease } from '@medic/domain';
import { readStream, type LoggedEvent, type StreamProjection } from '@medic/eventlog';
import { ModuleKillRow, ModuleReleaseRow } from './module-standing.entity';

/**
 * Each kill of each module, from its events (projection "<service>.module_kills").
 * With `reports`, kill reports are followed too (when the module was killed);
 * without, only resurrections and re-kills, all that a backoff needs.
 */
export function moduleKillsProjection(service: string, opts: { readonly reports: boolean }): StreamProjection<'kill', ModuleKillRow> {
  const types: KillEventType[] = ['ResurrectionStarted', 'OutcomeRecorded'];
  return {
    name: `${service}.module_kills`,
    entity: ModuleKillRow,
    read: readStream('kill', opts.reports ? ['KillReported', ...types] : types),
    keyOf: (e) => e.data.killId,
    evolve: (row, logged: LoggedEvent<KillEvent>) => {
      const facts = row === null ? null : killFacts(row);
      const next = evolveModuleKill(facts, logged.data);
      if (next === null) return null;
      // Unchanged (an outcome other than a re-kill): the row as read, which is not written again.
      if (next === facts) return row;
      return Object.assign(new ModuleKillRow(), { killId: next.killId, targetModule: next.module, reportedAt: date(next.reportedAt), startedAt: date(next.startedAt), reKilledAt: date(next.reKilledAt) });
    },
  };
}

/** Each module's last release from quarantine (projection "<service>.module_releases"). */
export function moduleReleasesProjection(service: string): StreamProjection<'control', ModuleReleaseRow> {
  return {
    name: `${service}.module_releases`,
    entity: ModuleReleaseRow,
    read: readStream('control', ['ModuleReleased']),
    keyOf: (e) => (e.data.type === 'ModuleReleased' ? e.data.module : ''),
    evolve: (row, logged: LoggedEvent<ControlEvent>) => {
      const e = logged.data;
      if (e.type !== 'ModuleReleased') return row;
      const later = laterRelease(row === null ? null : releaseFacts(row), releaseOf(e))!;
      return Object.assign(new ModuleReleaseRow(), { targetModule: e.module, releasedAt: new Date(later.at), actor: later.actor, reason: later.reason });
    },
  };
}

export function killFacts(row: Pick<ModuleKillRow, 'killId' | 'targetModule' | 'reportedAt' | 'startedAt' | 'reKilledAt'>): ModuleKillFacts {
  return { killId: row.killId, module: row.targetModule, reportedAt: iso(row.reportedAt), startedAt: iso(row.startedAt), reKilledAt: iso(row.reKilledAt) };
}

export function releaseFacts(row: Pick<ModuleReleaseRow, 'releasedAt' | 'actor' | 'reason'>): ModuleRelease {
  return { at: row.releasedAt.toISOString(), actor: row.actor, reason: row.reason };
}

const date = (t: string | null): Date | null => (t === null ? null : new Date(t));
const iso = (d: Date | null): string | null => (d === null ? null : d.toISOString());
