import type { ResurrectionDecision } from '../decision/decision.types';
import type { KillReport } from '../kill/kill-report';
import type { RiskAssessment, SiemGaps } from '../risk/risk.types';
import type { KillEventType, OutcomeResult } from './kill-events';
import type { WorkflowStatus } from './workflow-status';

/** A human approval asked for on the queue, and when it lapses. */
export interface ApprovalRequest {
  readonly queueItemId: string;
  readonly decisionId: string;
  readonly requestedAt: string;
  readonly expiresAt: string;
  readonly reason: string;
}

/** What the SIEM said, as far as later steps need it (its gaps absent in states folded before they were kept). */
export interface EnrichmentSummary extends Partial<SiemGaps> {
  readonly siemStatus: 'used' | 'unavailable';
  readonly riskScore: number;
  readonly falsePositiveHistory: number;
  /** The indicators that weigh most, described for the decision's reasoning. */
  readonly indicators: readonly string[];
}

export interface StatusChange {
  readonly status: WorkflowStatus;
  readonly at: string;
  readonly event: KillEventType;
}

/** An operator's accepted request to undo the resurrection, until the executor acts on it. */
export interface RollbackRequest {
  readonly actor: string;
  readonly reason: string;
  readonly requestedAt: string;
  readonly commandId: string;
}

export interface KillOutcome {
  readonly outcomeId: string;
  readonly result: OutcomeResult;
  readonly recordedAt: string;
}

/** A resurrection the executor held back for its module's backoff. */
export interface ResurrectionDeferral {
  readonly notBefore: string;
  readonly attempt: number;
  readonly deferredAt: string;
  /** When the backoff was declared over (ResurrectionResumed); null while it waits. */
  readonly resumedAt: string | null;
  /** The kills of the modules it waits for (a cascade); empty for a backoff (absent in states folded before it was kept). */
  readonly waitsForKillIds?: readonly string[];
}

/** The retry of a start the engine refused: which attempt, when it is due, and when its wait was declared over. */
export interface ResurrectionRetry {
  readonly attempt: number;
  readonly refusedAt: string;
  readonly notBefore: string;
  /** When the workflow's timer declared the wait over (ResurrectionResumed); null while it waits. */
  readonly resumedAt: string | null;
}

/** One kill, folded from its events. */
export interface KillState {
  readonly killId: string;
  readonly status: WorkflowStatus;
  readonly targetModule: string;
  readonly report: KillReport;
  readonly correlationId: string | null;
  readonly replyTo: string | null;
  readonly enrichment: EnrichmentSummary | null;
  /** Set when the workflow waits for the SIEM's context: until then no decision, after it one without. */
  readonly enrichmentDeadline: string | null;
  readonly risk: RiskAssessment | null;
  readonly decision: ResurrectionDecision | null;
  readonly approval: ApprovalRequest | null;
  /** The approver, or AUTO_APPROVER when the policy approved on its own. */
  readonly approvedBy: string | null;
  readonly requestId: string | null;
  /** The pre-resurrection notice waiting for Smith's answer (spec 4.4), if one is. */
  readonly vetoRequestId: string | null;
  /** Resurrection attempts made so far: started, or refused before their start was written. */
  readonly attempts: number;
  /** The latest backoff the resurrection was held back for; absent in states stored before backoffs existed. */
  readonly deferral?: ResurrectionDeferral | null;
  /** The retry the latest refused start waits for; absent in states folded before retries were timed by the workflow. */
  readonly retry?: ResurrectionRetry | null;
  /** Every status the kill has been in, oldest first. */
  readonly history: readonly StatusChange[];
  readonly lastEventAt: string;
  /**
   * Once recorded, the kill is closed: no further event applies, except the
   * result of a rollback already under way (the engine did what it did).
   */
  readonly outcome: KillOutcome | null;
  /** Absent in states folded before rollbacks could be requested. */
  readonly rollbackRequest?: RollbackRequest | null;
}

/** Names the policy as approver of an auto-approved resurrection. */
export const AUTO_APPROVER = 'policy:auto-approve';

/** Before its first event a kill does not exist. */
export function initialState(): KillState | null {
  return null;
}
