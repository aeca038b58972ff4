import { randomUUID } from 'node:crypto';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import { ceTypesOf } from '@medic/contracts';
import {
  recordRekill,
  recordRollbackResult,
  rollbackUnderway,
  startWatch,
  type DecisionMade,
  type KillEventType,
  type KillReported,
  type ResurrectionStarted,
  type ResurrectionSucceeded,
  type RollbackCompleted,
  type RollbackFailed,
  type RollbackRequested,
  type RollbackStarted,
  type WatchStep,
} from '@medic/domain';
import { LogHandlers, type LoggedEvent } from '@medic/eventlog';
import { AWAITING } from './monitor.schema';
import type { MonitorRound } from './monitor.step';
import { withWatch, type WatchRow } from './watch-rows';

/** The kill events the monitor follows. */
export const MONITOR_FOLLOWS = [
  'DecisionMade',
  'ResurrectionStarted',
  'ResurrectionSucceeded',
  'RollbackRequested',
  'RollbackStarted',
  'RollbackCompleted',
  'RollbackFailed',
  'KillReported',
] as const satisfies readonly KillEventType[];

/**
 * How the monitor follows a kill: what its decision and resurrection say
 * (kept until the module is up), the watch that begins with
 * ResurrectionSucceeded, rollbacks and their results, and kills of the same
 * module, which may be re-kills of a watched one. The checks themselves are
 * fired by the watches' timers (see CheckFiring); every rule is the domain's.
 */
@LogHandlers()
export class MonitorHandlers {
  /** A kill that may be resurrected (not denied, not observe-only) gets a row waiting for its resurrection. */
  @EventPattern(ceTypesOf('kill', ['DecisionMade']))
  decided(@Payload() logged: LoggedEvent<DecisionMade>, @Ctx() round: MonitorRound): void {
    const { killId, targetModule, decision } = logged.data;
    if (decision.outcome === 'deny' || decision.observeOnly || round.row(killId) !== null) return;
    round.put({ killId, targetModule, decisionId: decision.decisionId, requestId: null, containerId: null, resurrectionStartedAt: null, phase: AWAITING, watch: null, firings: 0 });
  }

  @EventPattern(ceTypesOf('kill', ['ResurrectionStarted']))
  started(@Payload() logged: LoggedEvent<ResurrectionStarted>, @Ctx() round: MonitorRound): void {
    const e = logged.data;
    const row = round.row(e.killId);
    if (row?.phase !== AWAITING) return;
    round.put({ ...row, requestId: e.requestId, containerId: e.containerId, resurrectionStartedAt: e.at });
  }

  /** The module is up: its watch begins, the first check due at once. */
  @EventPattern(ceTypesOf('kill', ['ResurrectionSucceeded']))
  succeeded(@Payload() logged: LoggedEvent<ResurrectionSucceeded>, @Ctx() round: MonitorRound): void {
    const e = logged.data;
    const row = round.row(e.killId);
    if (row?.phase !== AWAITING || row.requestId !== e.requestId || row.resurrectionStartedAt === null) return;
    const watch = startWatch(
      {
        killId: e.killId,
        requestId: e.requestId,
        decisionId: row.decisionId,
        targetModule: row.targetModule,
        containerId: e.containerId,
        resurrectionStartedAt: row.resurrectionStartedAt,
        monitoringStartedAt: e.at,
      },
      round.settings.monitor,
    );
    round.put({ ...withWatch(row, watch), containerId: e.containerId });
  }

  /** A rollback asked for or begun: the checks stop, its result will be the outcome. */
  @EventPattern(ceTypesOf('kill', ['RollbackRequested', 'RollbackStarted']))
  rollingBack(@Payload() logged: LoggedEvent<RollbackRequested | RollbackStarted>, @Ctx() round: MonitorRound): void {
    const row = round.row(logged.data.killId);
    if (row?.watch) round.put(withWatch(row, rollbackUnderway(row.watch, { actor: logged.data.actor, reason: logged.data.reason })));
  }

  @EventPattern(ceTypesOf('kill', ['RollbackCompleted', 'RollbackFailed']))
  rolledBack(@Payload() logged: LoggedEvent<RollbackCompleted | RollbackFailed>, @Ctx() round: MonitorRound): void {
    const e = logged.data;
    const row = round.row(e.killId);
    if (!row?.watch) return;
    const result = e.type === 'RollbackCompleted' ? { completed: true, reason: null } : { completed: false, reason: e.reason };
    apply(round, row, recordRollbackResult(row.watch, result, outcomeContext(round)), logged);
  }

  /** Another kill of a watched module: the earlier resurrection's outcome is re_killed, once. */
  @EventPattern(ceTypesOf('kill', ['KillReported']))
  reported(@Payload() logged: LoggedEvent<KillReported>, @Ctx() round: MonitorRound): void {
    const e = logged.data;
    for (const row of round.rekillable(e.report.targetModule, e.killId)) {
      const rekill = { killId: e.killId, at: e.at, sourceAgent: e.report.sourceAgent };
      apply(round, row, recordRekill(row.watch!, rekill, outcomeContext(round), round.settings.monitor), logged);
    }
  }
}

function apply(round: MonitorRound, row: WatchRow, step: WatchStep, cause: LoggedEvent<unknown>): void {
  if (step.watch === row.watch) return;
  round.put(withWatch(row, step.watch));
  round.append(step.events, cause);
}

function outcomeContext(round: MonitorRound) {
  return { at: round.now().toISOString(), outcomeId: randomUUID() };
}
