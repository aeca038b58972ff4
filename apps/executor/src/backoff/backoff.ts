import { randomUUID } from 'node:crypto';
import { addHours, AUTO_APPROVER, type KillEvent } from '@medic/domain';
import type { LoggedEvent } from '@medic/eventlog';
import { standingOf } from '@medic/standing';
import type { ExecutorRound } from '../executor.step';

/** Who asks for an automatic approval a quarantine overtook to go to a human. */
export const QUARANTINE_ACTOR = 'executor:quarantine';

/**
 * Holds an approved resurrection back while its module is inside its backoff:
 * appends ResurrectionDeferred (the kill stays APPROVED) and says so; the kill
 * workflow's timer resumes it when due. A module quarantined since its kill
 * was approved automatically (a re-kill the decision could not know of yet) is
 * not started: a quarantined module's resurrections are a human's to approve,
 * so the executor asks the kill workflow (ReviewApproval, actor
 * `executor:quarantine`) to put it on the approval queue instead. Returns
 * false when it may start now.
 */
export async function heldBack(round: ExecutorRound, cause: LoggedEvent<KillEvent>, module: string, approvedBy: string): Promise<boolean> {
  const at = round.now().toISOString();
  const { backoff, quarantine } = await standingOf(round.tx, module, round.settings.standing, at);
  const { killId } = cause.data;
  if (quarantine !== null && approvedBy === AUTO_APPROVER) {
    const reason = `${quarantine.reason}; this kill was approved automatically before that was known, so a human approves it instead`;
    const expiresAt = addHours(at, round.settings.approvalTimeoutHours);
    round.command({ type: 'ReviewApproval', commandId: randomUUID(), killId, at, actor: QUARANTINE_ACTOR, reason, queueItemId: randomUUID(), expiresAt }, cause);
    return true;
  }
  if (backoff === null) return false;
  round.append({ type: 'ResurrectionDeferred', killId, at, notBefore: backoff.until, reason: backoff.reason, attempt: backoff.attempt, waitsForKillIds: [] }, cause);
  return true;
}
