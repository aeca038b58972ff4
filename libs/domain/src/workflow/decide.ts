import { assertNever } from '../shared/errors';
import { denyApproval, expireApproval, grantApproval, reviewApproval } from './approval-decisions';
import { existingKill } from './command-guards';
import { resumeResurrection } from './backoff-decisions';
import { decideResurrection } from './decide-resurrection';
import { expireEnrichment } from './enrichment-decisions';
import type { KillCommand, ReportKill } from './kill-commands';
import type { KillEvent, KillReported } from './kill-events';
import type { KillState } from './kill-state';
import { requestRollback } from './rollback-decisions';

/**
 * The kill workflow's decider: what happens when a command meets the current
 * state. Returns the new events (possibly none); throws a DomainError when
 * the command is not allowed now.
 */
export function decide(command: KillCommand, state: KillState | null): KillEvent[] {
  switch (command.type) {
    case 'ReportKill':
      return reportKill(command, state);
    case 'DecideResurrection':
      return decideResurrection(command, existingKill(state, command));
    case 'GrantApproval':
      return grantApproval(command, existingKill(state, command));
    case 'DenyApproval':
      return denyApproval(command, existingKill(state, command));
    case 'ExpireApproval':
      return expireApproval(command, existingKill(state, command));
    case 'ExpireEnrichment':
      return expireEnrichment(command, existingKill(state, command));
    case 'ResumeResurrection':
      return resumeResurrection(command, existingKill(state, command));
    case 'RequestRollback':
      return requestRollback(command, existingKill(state, command));
    case 'ReviewApproval':
      return reviewApproval(command, existingKill(state, command));
    default:
      return assertNever(command, 'kill command');
  }
}

// Smith may deliver a kill twice (at-least-once); the second copy is a no-op.
function reportKill(command: ReportKill, state: KillState | null): KillReported[] {
  if (state !== null) return [];
  const { report, correlationId, replyTo, source, at, signedBy, smithVersion, ignoredFields, enrichmentDeadline } = command;
  return [
    {
      type: 'KillReported',
      killId: report.killId,
      at,
      report,
      correlationId,
      replyTo,
      source,
      signedBy: signedBy ?? null,
      smithVersion: smithVersion ?? null,
      ignoredFields: ignoredFields ?? [],
      enrichmentDeadline: enrichmentDeadline ?? null,
    },
  ];
}
