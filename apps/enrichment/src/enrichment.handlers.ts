import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import { ceTypesOf } from '@medic/contracts';
import type { KillReported } from '@medic/domain';
import { LogHandlers, type LoggedEvent } from '@medic/eventlog';
import { contextEnriched } from './context';
import type { EnrichmentRound } from './enrichment.step';

/** What the enrichment service does with the log: every reported kill gets its SIEM context. */
@LogHandlers()
export class EnrichmentHandlers {
  @EventPattern(ceTypesOf('kill', ['KillReported']))
  enrich(@Payload() logged: LoggedEvent<KillReported>, @Ctx() round: EnrichmentRound): void {
    const reported = logged.data;
    round.append(contextEnriched(reported, round.answerFor(reported.killId), round.newQueryId(), round.at.toISOString()), logged);
  }
}
