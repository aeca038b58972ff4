import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import { ceTypesOf } from '@medic/contracts';
import { failedResurrectionOutcome, recordRekill, recordRollbackResult, type KillEventType, type KillReported, type ResurrectionFailed, type RollbackCompleted, type RollbackFailed, type WatchStep } from '@medic/domain';
import { LogHandlers, type LoggedEvent } from '@medic/eventlog';
import { AWAITING } from './monitor.schema';
import type { MonitorRound } from './monitor.step';
import { closedBeforeWatch, FOLLOWED_TYPES, followKill, outcomeIdOf, withWatch, type FollowedEvent, type WatchRow } from './watch-rows';

/** The kill events the monitor follows. */
export const MONITOR_FOLLOWS = [...FOLLOWED_TYPES, 'ResurrectionFailed', 'RollbackCompleted', 'RollbackFailed', 'KillReported'] as const satisfies readonly KillEventType[];

/**
 * How the monitor follows a kill: what its decision and resurrection say
 * (kept until the module is up), the watch that begins with
 * ResurrectionSucceeded, rollbacks and their results, and kills of the same
 * module, which may be re-kills of a watched one. The checks themselves are
 * fired by the watches' timers (see CheckFiring); every rule is the domain's.
 */
@LogHandlers()
export class MonitorHandlers {
  /** Decisions, resurrections and rollbacks of a kill: what its row keeps, the watch that begins, the checks that stop (see followKill). */
  @EventPattern(ceTypesOf('kill', [...FOLLOWED_TYPES]))
  followed(@Payload() logged: LoggedEvent<FollowedEvent>, @Ctx() round: MonitorRound): void {
    const next = followKill(round.row(logged.data.killId), logged, round.settings.monitor);
    if (next !== null) round.put(next);
  }

  /** A resurrection that failed for good never comes up to be watched: its outcome is failure, once. */
  @EventPattern(ceTypesOf('kill', ['ResurrectionFailed']))
  failed(@Payload() logged: LoggedEvent<ResurrectionFailed>, @Ctx() round: MonitorRound): void {
    const row = round.row(logged.data.killId);
    if (row?.phase !== AWAITING) return;
    const outcome = failedResurrectionOutcome(row, logged.data, outcomeContext(round, row.killId));
    if (outcome === null) return;
    round.put(closedBeforeWatch(row));
    round.append([outcome], logged);
  }

  @EventPattern(ceTypesOf('kill', ['RollbackCompleted', 'RollbackFailed']))
  rolledBack(@Payload() logged: LoggedEvent<RollbackCompleted | RollbackFailed>, @Ctx() round: MonitorRound): void {
    const e = logged.data;
    const row = round.row(e.killId);
    if (!row?.watch) return;
    const result = e.type === 'RollbackCompleted' ? { completed: true, reason: null } : { completed: false, reason: e.reason };
    apply(round, row, recordRollbackResult(row.watch, result, outcomeContext(round, row.killId)), logged);
  }

  /** Another kill of a watched module: the earlier resurrection's outcome is re_killed, once. */
  @EventPattern(ceTypesOf('kill', ['KillReported']))
  reported(@Payload() logged: LoggedEvent<KillReported>, @Ctx() round: MonitorRound): void {
    const e = logged.data;
    for (const row of round.rekillable(e.report.targetModule, e.killId)) {
      const rekill = { killId: e.killId, at: e.at, sourceAgent: e.report.sourceAgent };
      apply(round, row, recordRekill(row.watch!, rekill, outcomeContext(round, row.killId), round.settings.monitor), logged);
    }
  }
}

function apply(round: MonitorRound, row: WatchRow, step: WatchStep, cause: LoggedEvent<unknown>): void {
  if (step.watch === row.watch) return;
  round.put(withWatch(row, step.watch));
  round.append(step.events, cause);
}

function outcomeContext(round: MonitorRound, killId: string) {
  return { at: round.now().toISOString(), outcomeId: outcomeIdOf(killId) };
}
