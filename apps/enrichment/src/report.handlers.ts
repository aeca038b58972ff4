import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import { ceTypesOf } from '@medic/contracts';
import type { DecisionMade, OutcomeRecorded } from '@medic/domain';
import { LogHandlers, type LoggedEvent } from '@medic/eventlog';
import type { ReportRound } from './report.step';

/**
 * Medic's decisions and outcomes as documents in the SIEM, for analysts. A
 * decision's document id is its event's id; an outcome's is its
 * `outcome_id` (one per kill, the same when the monitor records it again),
 * and the first document of an id stands, as in `/outcomes`.
 */
@LogHandlers()
export class ReportHandlers {
  @EventPattern(ceTypesOf('kill', ['DecisionMade']))
  decision(@Payload() logged: LoggedEvent<DecisionMade>, @Ctx() round: ReportRound): void {
    const d = logged.data.decision;
    round.add({
      id: logged.id,
      body: {
        '@timestamp': d.timestamp,
        'event.kind': 'event',
        'event.category': 'medic_decision',
        'event.action': d.outcome,
        'service.name': logged.data.targetModule,
        'medic.kill_id': d.killId,
        'medic.decision_id': d.decisionId,
        'medic.risk_level': d.riskLevel,
        'medic.risk_score': d.riskScore,
        'medic.confidence': d.confidence,
        'medic.mode': d.mode,
        'medic.observe_only': d.observeOnly,
        'medic.siem_status': d.siemStatus,
        'medic.reasoning': [...d.reasoning],
      },
    });
  }

  @EventPattern(ceTypesOf('kill', ['OutcomeRecorded']))
  outcome(@Payload() logged: LoggedEvent<OutcomeRecorded>, @Ctx() round: ReportRound): void {
    const o = logged.data;
    round.add({
      id: o.outcomeId,
      body: {
        '@timestamp': o.at,
        'event.kind': 'event',
        'event.category': 'medic_outcome',
        'event.outcome': o.result,
        ...(o.targetModule === null ? {} : { 'service.name': o.targetModule }),
        'medic.kill_id': o.killId,
        'medic.decision_id': o.decisionId,
        'medic.outcome_id': o.outcomeId,
        'medic.request_id': o.requestId,
        'medic.time_to_stable_seconds': o.timeToStableSeconds,
        'medic.lessons_learned': [...o.lessonsLearned],
      },
    });
  }
}
