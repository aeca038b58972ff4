import { DomainError } from '../shared/errors';
import { compareInstants } from '../shared/time';
import { illegalCommand, openApproval } from './command-guards';
import type { DenyApproval, ExpireApproval, GrantApproval, ReviewApproval } from './kill-commands';
import type { ApprovalDenied, ApprovalExpired, ApprovalGranted, ApprovalRequested } from './kill-events';
import { AUTO_APPROVER, type ApprovalRequest, type KillState } from './kill-state';

/*
 * A human's answer counts only while the request is open; expiry counts only
 * once it is due. Whichever comes first in the log wins, the other is refused.
 */

export function grantApproval(command: GrantApproval, state: KillState): ApprovalGranted[] {
  const approval = answerable(openApproval(state, command), command.at, state);
  const { killId, at, approver, notes, commandId } = command;
  return [{ type: 'ApprovalGranted', killId, at, decisionId: approval.decisionId, approver, notes, commandId }];
}

export function denyApproval(command: DenyApproval, state: KillState): ApprovalDenied[] {
  const approval = answerable(openApproval(state, command), command.at, state);
  const { killId, at, denier, reason, commandId } = command;
  return [{ type: 'ApprovalDenied', killId, at, decisionId: approval.decisionId, denier, reason, commandId }];
}

export function expireApproval(command: ExpireApproval, state: KillState): ApprovalExpired[] {
  const approval = openApproval(state, command);
  if (compareInstants(command.at, approval.expiresAt) < 0) {
    throw new DomainError('approval_not_expired', `approval for kill ${state.killId} is open until ${approval.expiresAt}`, {
      killId: state.killId,
      expiresAt: approval.expiresAt,
    });
  }
  const { killId, at, commandId } = command;
  return [{ type: 'ApprovalExpired', killId, at, decisionId: approval.decisionId, commandId }];
}

function answerable(approval: ApprovalRequest, at: string, state: KillState): ApprovalRequest {
  if (compareInstants(at, approval.expiresAt) >= 0) {
    throw new DomainError('approval_expired', `approval for kill ${state.killId} expired at ${approval.expiresAt}`, {
      killId: state.killId,
      expiresAt: approval.expiresAt,
    });
  }
  return approval;
}

/** Whether the kill is an item of the approval queue: a human's answer is asked for and has not come. */
export function awaitsApproval(state: KillState): boolean {
  return state.status === 'PENDING' && state.approval !== null;
}

/**
 * An automatic approval a quarantine overtook goes to a human: allowed while
 * the kill is APPROVED by the policy and nothing was started for it, once.
 * The kill is PENDING again, an item of the approval queue that expires as
 * any other; a human's approval then brings it back (or a denial ends it).
 */
export function reviewApproval(command: ReviewApproval, state: KillState): ApprovalRequested[] {
  if (!mayGoToReview(state)) {
    const why =
      state.status !== 'APPROVED'
        ? `it is ${state.status}`
        : state.approvedBy !== AUTO_APPROVER
          ? `it was approved by ${state.approvedBy ?? 'no one'}, not automatically`
          : (state.vetoRequestId ?? null) !== null
            ? "Smith's answer to its pre-resurrection notice is still awaited"
            : 'its resurrection has started';
    throw illegalCommand(state, command, why);
  }
  const { killId, at, queueItemId, expiresAt, reason } = command;
  return [{ type: 'ApprovalRequested', killId, at, decisionId: state.decision!.decisionId, queueItemId, expiresAt, reason }];
}

/** An automatic approval nothing was started for yet, with no notice to Smith open: a human may be asked instead. */
export function mayGoToReview(state: KillState): boolean {
  return state.status === 'APPROVED' && state.approvedBy === AUTO_APPROVER && state.attempts === 0 && state.decision !== null && state.outcome === null && (state.vetoRequestId ?? null) === null;
}
