import { DomainError } from '../shared/errors';
import { compareInstants } from '../shared/time';
import { illegalCommand } from './command-guards';
import type { ExpireEnrichment } from './kill-commands';
import type { ContextEnriched } from './kill-events';
import type { KillState } from './kill-state';

/** Whether the kill waits for the SIEM's context before it can be decided. */
export function awaitsEnrichment(state: KillState): boolean {
  return state.status === 'PENDING' && state.decision === null && state.enrichmentDeadline !== null && state.enrichment === null;
}

/**
 * The deadline passed without the SIEM's context: the workflow records the
 * SIEM as unavailable for this kill and decides without it, degraded. A
 * context that comes later is kept but changes nothing.
 */
export function expireEnrichment(command: ExpireEnrichment, state: KillState): ContextEnriched[] {
  if (!awaitsEnrichment(state)) {
    throw illegalCommand(state, command, state.enrichment !== null ? 'the SIEM context is already in' : 'it does not wait for SIEM context');
  }
  const deadline = state.enrichmentDeadline!;
  if (compareInstants(command.at, deadline) < 0) {
    throw new DomainError('enrichment_not_due', `the SIEM context for kill ${state.killId} is awaited until ${deadline}`, { killId: state.killId, deadline });
  }
  return [unavailableContext(state.killId, command.at, command.commandId, `no SIEM context by the deadline ${deadline}`)];
}

/** The SIEM's context for a kill when there is none: the SIEM unavailable, and why. */
export function unavailableContext(killId: string, at: string, queryId: string, reason: string): ContextEnriched {
  return {
    type: 'ContextEnriched',
    killId,
    at,
    queryId,
    siemStatus: 'unavailable',
    threatIndicators: [],
    falsePositiveHistory: 0,
    riskScore: 0,
    recommendation: '',
    historicalBehavior: {},
    networkContext: {},
    userContext: null,
    failureReason: reason,
    ignoredFields: [],
    unusableIndicators: 0,
  };
}
