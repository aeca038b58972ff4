import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import { ceTypesOf } from '@medic/contracts';
import type { ResurrectionResumed } from '@medic/domain';
import { LogHandlers, type LoggedEvent } from '@medic/eventlog';
import { intend, retryAttempt } from '../executor.handlers';
import type { ExecutorRound } from '../executor.step';

/**
 * A resurrection held back for its module's backoff goes ahead once the kill workflow says the backoff is over;
 * so does the retry of a refused start once its wait is (the resumption names that attempt).
 */
@LogHandlers()
export class BackoffHandlers {
  @EventPattern(ceTypesOf('kill', ['ResurrectionResumed']))
  async resumed(@Payload() logged: LoggedEvent<ResurrectionResumed>, @Ctx() round: ExecutorRound): Promise<void> {
    if (logged.data.attempt > 0) await retryAttempt(round, logged);
    else await intend(round, logged, logged.data.approvedBy);
  }
}
