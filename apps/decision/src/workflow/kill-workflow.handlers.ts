import { randomUUID } from 'node:crypto';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import { ceTypesOf, KILL_COMMAND_TYPES, KILL_EVENT_TYPES } from '@medic/contracts';
import { answerCommand, decide, type DecisionMade, type KillEvent, type KillReported, type LoggedKillCommand } from '@medic/domain';
import { LogHandlers, type LoggedEvent } from '@medic/eventlog';
import type { WorkflowRound } from './kill-workflow.step';

/**
 * What the kill workflow does with each type of record. The rules are the
 * domain's (`decide`, `answerCommand`, `evolve`); a handler loads nothing
 * and writes nothing itself, the round holds the state and what is appended.
 */
@LogHandlers()
export class KillWorkflowHandlers {
  /** A new kill is folded in and decided; a repeat of a reported kill changes nothing. */
  @EventPattern(ceTypesOf('kill', ['KillReported']))
  decide(@Payload() logged: LoggedEvent<KillReported>, @Ctx() round: WorkflowRound): void {
    const reported = logged.data;
    if (round.state.get(reported.killId) !== null) return round.repeated(reported.killId);
    // The module's history before this kill.
    const history = round.state.historyOf(reported.report.targetModule);
    round.state.apply(reported, round.partition);
    const { policy, risk } = round.settings;
    const made = decide(
      {
        type: 'DecideResurrection',
        killId: reported.killId,
        at: round.at.toISOString(),
        decisionId: randomUUID(),
        queueItemId: randomUUID(),
        siem: null,
        siemStatus: 'not_configured',
        history,
        autoResurrectionsLastHour: round.state.autoResurrectionsLastHour(),
        policy,
        risk,
      },
      round.state.get(reported.killId),
    );
    round.append(made, logged);
    const decision = made.find((e): e is DecisionMade => e.type === 'DecisionMade');
    if (decision) round.decided(decision, logged);
  }

  /** An operator's or a timer's command gets its events, or CommandRejected with the reason. */
  @EventPattern(ceTypesOf('command', KILL_COMMAND_TYPES))
  answer(@Payload() logged: LoggedEvent<LoggedKillCommand>, @Ctx() round: WorkflowRound): void {
    const events = answerCommand(logged.data, round.state.get(logged.data.killId));
    round.append(events, logged);
    round.answered(logged, events);
  }

  /** What other steps appended about a kill is folded into its state (an illegal one is rejected). */
  @EventPattern(ceTypesOf('kill', KILL_EVENT_TYPES.filter((t) => t !== 'KillReported')))
  fold(@Payload() logged: LoggedEvent<KillEvent>, @Ctx() round: WorkflowRound): void {
    round.state.apply(logged.data, round.partition);
  }
}
