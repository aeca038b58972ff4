import { randomUUID } from 'node:crypto';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import { ceTypesOf, KILL_COMMAND_TYPES, KILL_EVENT_TYPES } from '@medic/contracts';
import {
  addMilliseconds,
  answerCommand,
  decide,
  siemGapsOf,
  thresholdsSetBy,
  withThresholds,
  type ContextEnriched,
  type DecisionMade,
  type KillEvent,
  type KillReported,
  type LoggedKillCommand,
  type ModuleHistory,
  type ModuleReleased,
  type ThresholdsRecalibrated,
  type ThresholdsUpdated,
} from '@medic/domain';
import { LogHandlers, type LoggedEvent } from '@medic/eventlog';
import type { WorkflowRound } from './kill-workflow.step';

/**
 * What the kill workflow does with each type of record. The rules are the
 * domain's (`decide`, `answerCommand`, `evolve`); a handler loads nothing
 * and writes nothing itself, the round holds the state and what is appended.
 */
@LogHandlers()
export class KillWorkflowHandlers {
  /**
   * A new kill is folded in; it is decided at once, or, with a SIEM
   * configured, once its context is in or its deadline passed. The listener
   * gives a report taken in with a SIEM its deadline (the kill waits, with
   * nothing to append); one taken in without is given it here when this
   * service has a SIEM. A repeat of a reported kill changes nothing.
   */
  @EventPattern(ceTypesOf('kill', ['KillReported']))
  reported(@Payload() logged: LoggedEvent<KillReported>, @Ctx() round: WorkflowRound): void {
    const reported = logged.data;
    if (round.state.get(reported.killId) !== null) return round.repeated(reported.killId);
    round.state.apply(reported, round.partition, logged.trace);
    if (reported.enrichmentDeadline) return;
    const { waitMs } = round.settings.siem;
    if (waitMs === null) return decideNow(round, reported.killId, logged, 'not_configured');
    round.append([{ type: 'EnrichmentRequested', killId: reported.killId, at: round.at.toISOString(), deadline: addMilliseconds(round.at.toISOString(), waitMs) }], logged);
  }

  /** The SIEM's context (or the enrichment service's word that it could not get it): decide if the kill waits for it. */
  @EventPattern(ceTypesOf('kill', ['ContextEnriched']))
  enriched(@Payload() logged: LoggedEvent<ContextEnriched>, @Ctx() round: WorkflowRound): void {
    round.state.apply(logged.data, round.partition, logged.trace);
    decideIfReady(round, logged.data.killId, logged);
  }

  /** An operator's or a timer's command gets its events, or CommandRejected with the reason. */
  @EventPattern(ceTypesOf('command', KILL_COMMAND_TYPES))
  answer(@Payload() logged: LoggedEvent<LoggedKillCommand>, @Ctx() round: WorkflowRound): void {
    const events = answerCommand(logged.data, round.state.get(logged.data.killId));
    round.append(events, logged);
    round.answered(logged, events);
    // The enrichment deadline passing records the SIEM as unavailable: the kill is decided without it.
    if (events.some((e) => e.type === 'ContextEnriched')) decideIfReady(round, logged.data.killId, logged);
  }

  /** An admin released a module from quarantine: its next kills may be auto-approved again. */
  @EventPattern(ceTypesOf('control', ['ModuleReleased']))
  released(@Payload() logged: LoggedEvent<ModuleReleased>, @Ctx() round: WorkflowRound): void {
    round.state.release(logged.data);
  }

  /** An admin (or the learning service) set the risk thresholds or the auto-approval limits: kills decided from now on are decided by them. */
  @EventPattern(ceTypesOf('control', ['ThresholdsUpdated', 'ThresholdsRecalibrated']))
  thresholds(@Payload() logged: LoggedEvent<ThresholdsUpdated | ThresholdsRecalibrated>, @Ctx() round: WorkflowRound): void {
    const set = thresholdsSetBy(logged.data);
    if (set !== null) round.state.thresholdsUpdated(set);
  }

  /** What other steps appended about a kill is folded into its state (an illegal one is rejected). */
  @EventPattern(ceTypesOf('kill', KILL_EVENT_TYPES.filter((t) => t !== 'KillReported' && t !== 'ContextEnriched')))
  fold(@Payload() logged: LoggedEvent<KillEvent>, @Ctx() round: WorkflowRound): void {
    round.state.apply(logged.data, round.partition, logged.trace);
  }
}

/** Decides a kill that has its SIEM context (used or unavailable) and no decision yet. */
function decideIfReady(round: WorkflowRound, killId: string, cause: LoggedEvent<unknown>): void {
  const state = round.state.get(killId);
  if (state === null || state.status !== 'PENDING' || state.decision !== null || state.enrichment === null) return;
  decideNow(round, killId, cause, state.enrichment.siemStatus);
}

function decideNow(round: WorkflowRound, killId: string, cause: LoggedEvent<unknown>, siemStatus: 'used' | 'unavailable' | 'not_configured'): void {
  const state = round.state.get(killId)!;
  // The configured policy and risk settings, with the thresholds an admin last set over them.
  const { policy, risk } = withThresholds(round.settings.policy, round.settings.risk, round.state.thresholdsInForce());
  const enrichment = state.enrichment;
  const made = decide(
    {
      type: 'DecideResurrection',
      killId,
      at: round.at.toISOString(),
      decisionId: randomUUID(),
      queueItemId: randomUUID(),
      siem: siemStatus === 'used' && enrichment ? { riskScore: enrichment.riskScore, falsePositiveHistory: enrichment.falsePositiveHistory, indicators: enrichment.indicators, ...siemGapsOf(enrichment) } : null,
      siemStatus,
      history: priorHistory(round, state.targetModule),
      autoResurrectionsLastHour: round.state.autoResurrectionsLastHour(),
      quarantine: round.state.quarantineOf(state.targetModule, round.settings.quarantineAfterReKills),
      pendingApprovals: round.state.pendingApprovals(),
      recentKills: round.state.recentKills(),
      policy,
      risk,
    },
    state,
  );
  round.append(made, cause);
  const decision = made.find((e): e is DecisionMade => e.type === 'DecisionMade');
  if (decision) round.decided(decision, cause as LoggedEvent<KillEvent>);
}

/** The module's history before this kill (which is folded in, and counted, by now). */
function priorHistory(round: WorkflowRound, module: string): ModuleHistory {
  const h = round.state.historyOf(module);
  return { ...h, priorKills: Math.max(0, h.priorKills - 1) };
}
