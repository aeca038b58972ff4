import type { KillEvent } from '@medic/domain';
import type { LoggedEvent } from '@medic/eventlog';
import { standingOf } from '@medic/standing';
import type { ExecutorRound } from '../executor.step';

/**
 * Holds an approved resurrection back while its module is inside its backoff:
 * appends ResurrectionDeferred (the kill stays APPROVED) and says so; the kill
 * workflow's timer resumes it when due. Returns false when it may start now.
 */
export async function heldBack(round: ExecutorRound, cause: LoggedEvent<KillEvent>, module: string): Promise<boolean> {
  const at = round.now().toISOString();
  const { backoff } = await standingOf(round.tx, module, round.settings.standing, at);
  if (backoff === null) return false;
  round.append({ type: 'ResurrectionDeferred', killId: cause.data.killId, at, notBefore: backoff.until, reason: backoff.reason, attempt: backoff.attempt, waitsForKillIds: [] }, cause);
  return true;
}
