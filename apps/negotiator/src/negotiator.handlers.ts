import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import { ceTypesOf } from '@medic/contracts';
import { AUTO_APPROVER, type ApprovalGranted, type ApprovalRequested, type DecisionMade, type KillReported, type RiskAssessed, type VetoRequested } from '@medic/domain';
import { LogHandlers, type LoggedEvent } from '@medic/eventlog';
import type { NegotiationRound } from './negotiation.step';
import { NEGOTIATOR_SOURCE } from './veto-kills';

/** The kill events the negotiator reads. */
export const NEGOTIATOR_READS = ['KillReported', 'RiskAssessed', 'DecisionMade', 'ApprovalRequested', 'ApprovalGranted', 'VetoRequested'] as const;

/**
 * The side-effect step of spec 4.4 on the kill log: each resurrection that
 * becomes approved (auto-approved outside observer mode, or granted by a
 * human) is first put to Smith. The intent, VetoRequested, is committed with
 * the consumed offset; the notice goes out once it is on the log.
 */
@LogHandlers()
export class NegotiatorHandlers {
  @EventPattern(ceTypesOf('kill', ['KillReported']))
  reported(@Payload() logged: LoggedEvent<KillReported>, @Ctx() round: NegotiationRound): void {
    round.kills.learn(logged.data);
  }

  @EventPattern(ceTypesOf('kill', ['RiskAssessed']))
  assessed(@Payload() logged: LoggedEvent<RiskAssessed>, @Ctx() round: NegotiationRound): void {
    round.kills.learn(logged.data);
  }

  @EventPattern(ceTypesOf('kill', ['DecisionMade']))
  decided(@Payload() logged: LoggedEvent<DecisionMade>, @Ctx() round: NegotiationRound): void {
    const { killId, decision: d } = logged.data;
    round.kills.learn(logged.data);
    if (d.outcome === 'approve_auto' && !d.observeOnly) round.ask(killId, AUTO_APPROVER, logged);
  }

  /** An automatic approval sent to a human after Smith cleared it: the human's approval is asked about again. */
  @EventPattern(ceTypesOf('kill', ['ApprovalRequested']))
  requestedReview(@Payload() logged: LoggedEvent<ApprovalRequested>, @Ctx() round: NegotiationRound): void {
    round.kills.reopen(logged.data);
  }

  @EventPattern(ceTypesOf('kill', ['ApprovalGranted']))
  granted(@Payload() logged: LoggedEvent<ApprovalGranted>, @Ctx() round: NegotiationRound): void {
    round.ask(logged.data.killId, logged.data.approver, logged);
  }

  @EventPattern(ceTypesOf('kill', ['VetoRequested']))
  requested(@Payload() logged: LoggedEvent<VetoRequested>, @Ctx() round: NegotiationRound): void {
    if (logged.source === NEGOTIATOR_SOURCE) round.noticeCommitted(logged);
  }
}
