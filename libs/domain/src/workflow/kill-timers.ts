import type { LoggedKillCommand } from './kill-commands';
import type { KillState } from './kill-state';
import { awaitsEnrichment } from './enrichment-decisions';
import { awaitsRetry } from './evolve';

type WithoutStamp<C> = C extends LoggedKillCommand ? Omit<C, 'commandId' | 'at'> : never;

/** What a timer sends when it fires; the firing adds the command id and the time. */
export type TimerCommand = WithoutStamp<LoggedKillCommand>;

/**
 * A command the workflow wants sent at a later time. Timers are derived from
 * the kill's state (whose due times come from its events), so a timer table
 * is a projection: rebuildable, and emptied of a timer as soon as the state
 * no longer asks for it.
 */
export interface KillTimer {
  /** The same for the same state, so re-deriving never duplicates a timer. */
  readonly timerId: string;
  readonly killId: string;
  readonly dueAt: string;
  readonly command: TimerCommand;
}

export const APPROVAL_EXPIRY_ACTOR = 'timer:approval-expiry';
export const ENRICHMENT_DEADLINE_ACTOR = 'timer:enrichment-deadline';
export const BACKOFF_ACTOR = 'timer:backoff';
export const RETRY_ACTOR = 'timer:retry';

/** The timers a kill in this state is waiting for. */
export function timersOf(state: KillState): KillTimer[] {
  const { killId, approval, enrichmentDeadline } = state;
  if (awaitsEnrichment(state) && enrichmentDeadline !== null) {
    return [
      {
        timerId: `${killId}/enrichment-deadline`,
        killId,
        dueAt: enrichmentDeadline,
        command: { type: 'ExpireEnrichment', killId, actor: ENRICHMENT_DEADLINE_ACTOR },
      },
    ];
  }
  if (state.status === 'PENDING' && approval !== null) {
    return [
      {
        timerId: `${killId}/approval-expiry/${approval.queueItemId}`,
        killId,
        dueAt: approval.expiresAt,
        command: { type: 'ExpireApproval', killId, actor: APPROVAL_EXPIRY_ACTOR },
      },
    ];
  }
  if (awaitsRetry(state)) {
    const { attempt, notBefore } = state.retry!;
    return [{ timerId: `${killId}/retry/${attempt}`, killId, dueAt: notBefore, command: { type: 'ResumeResurrection', killId, actor: RETRY_ACTOR } }];
  }
  const deferral = state.deferral ?? null;
  if (state.status === 'APPROVED' && deferral !== null && deferral.resumedAt === null) {
    return [
      {
        timerId: `${killId}/backoff/${deferral.deferredAt}`,
        killId,
        dueAt: deferral.notBefore,
        command: { type: 'ResumeResurrection', killId, actor: BACKOFF_ACTOR },
      },
    ];
  }
  return [];
}
