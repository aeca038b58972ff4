import type { ResurrectionDecision } from '../decision/decision.types';
import type { KillReport } from '../kill/kill-report';
import type { CheckObservation } from '../monitoring/observation';
import type { RiskAssessment } from '../risk/risk.types';
import type { JsonObject } from '../shared/json';

/**
 * Everything that happens to one kill, in the past tense (ARCHITECTURE §2–3).
 * Every event names its kill and the moment it happened (ISO-8601, UTC).
 */
interface KillEventBase {
  readonly killId: string;
  readonly at: string;
}

export interface KillReported extends KillEventBase {
  readonly type: 'KillReported';
  readonly report: KillReport;
  readonly correlationId: string | null;
  readonly replyTo: string | null;
  /** Where the report came from on the Smith topic. */
  readonly source: { readonly topic: string; readonly partition: number; readonly offset: string };
  /** The trusted key whose signature the report carried (smith.signing); null or absent when it was not signed. */
  readonly signedBy?: string | null;
  /** The version of Smith's message (spec 4.1); null or absent in events written before it was kept. */
  readonly smithVersion?: string | null;
  /** What a later 1.x minor version added that this Medic does not know and left out (see SmithKillMessage). */
  readonly ignoredFields: readonly string[];
  /**
   * Set when a SIEM was configured where the report was taken in: the kill
   * waits for its SIEM context until then, and is decided without it after.
   * Null or absent: decided at once, or (a SIEM configured where it is
   * decided) after the workflow's own EnrichmentRequested.
   */
  readonly enrichmentDeadline?: string | null;
}

export interface ThreatIndicator {
  readonly indicatorType: string;
  readonly value: string;
  readonly threatScore: number;
  readonly source: string;
  readonly lastSeen: string;
  readonly tags: readonly string[];
}

export interface ContextEnriched extends KillEventBase {
  readonly type: 'ContextEnriched';
  readonly queryId: string;
  readonly siemStatus: 'used' | 'unavailable';
  readonly threatIndicators: readonly ThreatIndicator[];
  readonly falsePositiveHistory: number;
  readonly riskScore: number;
  readonly recommendation: string;
  readonly historicalBehavior: JsonObject;
  readonly networkContext: JsonObject;
  readonly userContext: JsonObject | null;
  readonly failureReason: string | null;
  /** Parts of the SIEM's answer left out as unusable, and why. */
  readonly ignoredFields: readonly string[];
  /** Indicators in the window that could not be weighed at all (score or value unusable): a threat that may have been missed. */
  readonly unusableIndicators: number;
}

/** The workflow waits for the SIEM's context until `deadline`, then decides without it. */
export interface EnrichmentRequested extends KillEventBase {
  readonly type: 'EnrichmentRequested';
  readonly deadline: string;
}

export interface RiskAssessed extends KillEventBase {
  readonly type: 'RiskAssessed';
  readonly assessment: RiskAssessment;
}

export interface DecisionMade extends KillEventBase {
  readonly type: 'DecisionMade';
  readonly decision: ResurrectionDecision;
  readonly targetModule: string;
  /** The instance Smith killed, which of the module's containers to bring back; null in events written before it was carried. */
  readonly targetInstanceId: string | null;
}

export interface ApprovalRequested extends KillEventBase {
  readonly type: 'ApprovalRequested';
  readonly decisionId: string;
  readonly queueItemId: string;
  readonly expiresAt: string;
  readonly reason: string;
}

export interface ApprovalGranted extends KillEventBase {
  readonly type: 'ApprovalGranted';
  readonly decisionId: string;
  readonly approver: string;
  readonly notes: string | null;
  /** The command this answers; null in events written before commands existed. */
  readonly commandId: string | null;
}

export interface ApprovalDenied extends KillEventBase {
  readonly type: 'ApprovalDenied';
  readonly decisionId: string;
  readonly denier: string;
  readonly reason: string;
  readonly commandId: string | null;
}

export interface ApprovalExpired extends KillEventBase {
  readonly type: 'ApprovalExpired';
  readonly decisionId: string;
  readonly commandId: string | null;
}

/** A PRE_RESURRECTION_NOTICE to Smith (spec 4.4): the resurrection waits for its answer until `deadline`. */
export interface VetoRequested extends KillEventBase {
  readonly type: 'VetoRequested';
  readonly requestId: string;
  readonly correlationId: string;
  readonly timeoutSeconds: number;
  readonly deadline: string;
  /** 1 for the first notice about the kill, one more after each defer. */
  readonly attempt: number;
  readonly noticeTopic: string;
  readonly replyTo: string;
  /** Who approved the resurrection Smith is asked about. */
  readonly approvedBy: string;
}

export interface VetoCleared extends KillEventBase {
  readonly type: 'VetoCleared';
  readonly requestId: string;
  /**
   * 'approve' from Smith; 'timeout_default' when Smith stayed silent, or 'defer'
   * when it deferred more often than allowed, and the configured default is to proceed.
   */
  readonly basis: 'approve' | 'defer' | 'timeout_default';
  readonly reason: string;
  readonly approvedBy: string;
}

/** Smith asked Medic to wait: the notice goes again, as a new VetoRequested, at `askAgainAt`. */
export interface VetoDeferred extends KillEventBase {
  readonly type: 'VetoDeferred';
  readonly requestId: string;
  readonly reason: string;
  readonly newEvidence: readonly string[];
  readonly askAgainAt: string;
  /** Smith's defers of this kill so far, this one included. */
  readonly defers: number;
}

export interface ResurrectionVetoed extends KillEventBase {
  readonly type: 'ResurrectionVetoed';
  readonly requestId: string;
  readonly basis: 'veto' | 'defer' | 'timeout_default';
  readonly reason: string;
  readonly newEvidence: readonly string[];
}

export interface ResurrectionStarted extends KillEventBase {
  readonly type: 'ResurrectionStarted';
  readonly requestId: string;
  readonly targetModule: string;
  readonly targetInstanceId: string;
  readonly approvedBy: string;
  readonly attempt: number;
  /** The container found for the module, and its last start before anything was done to it. */
  readonly containerId: string | null;
  readonly startedAtBefore: string | null;
  /** True when the container was gone and is to be made again from its snapshot; null in older events. */
  readonly fromSnapshot: boolean | null;
}

export interface ResurrectionSucceeded extends KillEventBase {
  readonly type: 'ResurrectionSucceeded';
  readonly requestId: string;
  readonly containerId: string;
  readonly action: 'restart' | 'start' | 'recreate';
  readonly durationMs: number;
}

export interface ResurrectionFailed extends KillEventBase {
  readonly type: 'ResurrectionFailed';
  readonly requestId: string;
  readonly reason: string;
  readonly retriable: boolean;
  /** The module and who approved it (null in events written before they were carried). */
  readonly targetModule: string | null;
  readonly approvedBy: string | null;
  /**
   * The attempt that failed; null for a request refused before any attempt, and
   * in events written before it was carried. A retriable failure is followed by
   * the next attempt (resurrection.max_retry_attempts).
   */
  readonly attempt: number | null;
}

export interface StabilityConfirmed extends KillEventBase {
  readonly type: 'StabilityConfirmed';
  readonly requestId: string;
  readonly timeToStableSeconds: number;
  readonly metrics: JsonObject;
}

export interface AnomalyDetected extends KillEventBase {
  readonly type: 'AnomalyDetected';
  readonly requestId: string;
  readonly anomalyScore: number;
  readonly findings: readonly string[];
}

/**
 * One health check of a resurrected module, as the monitor saw it. The
 * watch is folded from these; the kill's workflow state is not changed by them.
 */
export interface HealthChecked extends KillEventBase, CheckObservation {
  readonly type: 'HealthChecked';
  readonly requestId: string;
}

export interface AnomalyCleared extends KillEventBase {
  readonly type: 'AnomalyCleared';
  readonly requestId: string;
  readonly reason: string;
}

export interface RollbackStarted extends KillEventBase {
  readonly type: 'RollbackStarted';
  readonly requestId: string;
  readonly reason: string;
  readonly actor: string;
  /** The container to stop, found before the engine is touched; null in events written before it was kept. */
  readonly containerId: string | null;
}

export interface RollbackCompleted extends KillEventBase {
  readonly type: 'RollbackCompleted';
  readonly requestId: string;
}

export interface RollbackFailed extends KillEventBase {
  readonly type: 'RollbackFailed';
  readonly requestId: string;
  readonly reason: string;
}

export const OUTCOME_RESULTS = ['success', 'partial', 'failure', 're_killed', 'rollback'] as const;
export type OutcomeResult = (typeof OUTCOME_RESULTS)[number];

export interface OutcomeRecorded extends KillEventBase {
  readonly type: 'OutcomeRecorded';
  readonly outcomeId: string;
  readonly requestId: string | null;
  readonly decisionId: string;
  readonly result: OutcomeResult;
  readonly timeToStableSeconds: number | null;
  readonly metrics: JsonObject;
  readonly smithFeedback: string | null;
  readonly humanFeedback: string | null;
  readonly lessonsLearned: readonly string[];
  readonly shouldAdjustThreshold: boolean;
  /** The module resurrected (null in outcomes recorded before it was carried). */
  readonly targetModule: string | null;
}

/** An operator's RequestRollback, accepted: the executor stops the module (RollbackStarted with this actor). */
export interface RollbackRequested extends KillEventBase {
  readonly type: 'RollbackRequested';
  readonly requestId: string;
  readonly actor: string;
  readonly reason: string;
  readonly commandId: string;
}

/** A command the kill's state did not allow; the kill itself does not change. */
export interface CommandRejected extends KillEventBase {
  readonly type: 'CommandRejected';
  readonly commandId: string;
  readonly commandType: string;
  readonly actor: string;
  readonly code: string;
  readonly reason: string;
}

/** The executor holds an approved resurrection back until its module's backoff has passed. */
export interface ResurrectionDeferred extends KillEventBase {
  readonly type: 'ResurrectionDeferred';
  readonly notBefore: string;
  readonly reason: string;
  /** The backoff step: the module's consecutive re-kills; 0 when it waits for dependencies. */
  readonly attempt: number;
  /** The kills of modules it depends on (a cascade) it waits for; empty for a backoff. */
  readonly waitsForKillIds: readonly string[];
}

/** The backoff of a deferred resurrection has passed, or what it waited for is back (the answer to ResumeResurrection). */
export interface ResurrectionResumed extends KillEventBase {
  readonly type: 'ResurrectionResumed';
  readonly commandId: string;
  readonly approvedBy: string;
  readonly notBefore: string;
  /** Who ended the wait: the backoff timer, or the executor once what a dependent waited for was back or settled ('' in events logged before it was recorded); the retry timer for a retry. */
  readonly resumedBy: string;
  /** The attempt a retry timer resumes (2 or more); 0 for an approved resurrection held back. */
  readonly attempt: number;
}

export type KillEvent =
  | KillReported
  | ContextEnriched
  | EnrichmentRequested
  | RiskAssessed
  | DecisionMade
  | ApprovalRequested
  | ApprovalGranted
  | ApprovalDenied
  | ApprovalExpired
  | VetoRequested
  | VetoCleared
  | ResurrectionVetoed
  | ResurrectionStarted
  | ResurrectionSucceeded
  | ResurrectionFailed
  | StabilityConfirmed
  | AnomalyDetected
  | HealthChecked
  | AnomalyCleared
  | RollbackStarted
  | RollbackCompleted
  | RollbackFailed
  | OutcomeRecorded
  | CommandRejected
  | VetoDeferred
  | ResurrectionDeferred
  | ResurrectionResumed
  | RollbackRequested;

export type KillEventType = KillEvent['type'];
export type KillEventOf<T extends KillEventType> = Extract<KillEvent, { type: T }>;
