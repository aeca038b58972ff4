import { DomainError } from '../shared/errors';
import { compareInstants } from '../shared/time';
import { openApproval } from './command-guards';
import type { DenyApproval, ExpireApproval, GrantApproval } from './kill-commands';
import type { ApprovalDenied, ApprovalExpired, ApprovalGranted } from './kill-events';
import type { ApprovalRequest, KillState } from './kill-state';

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
