import type { SiemStatus } from '../decision/decision.types';
import type { PolicySettings, RiskSettings } from '../decision/policy.types';
import type { KillReport } from '../kill/kill-report';
import type { ModuleQuarantine } from '../module/module-standing';
import type { ModuleHistory, SiemRiskContext } from '../risk/risk.types';
import type { KillReported } from './kill-events';

/*
 * What may be asked of a kill, in the imperative. Every command carries its
 * own time and ids: the decider never reads a clock or makes an id.
 */

export interface ReportKill {
  readonly type: 'ReportKill';
  readonly report: KillReport;
  readonly correlationId: string | null;
  readonly replyTo: string | null;
  readonly source: KillReported['source'];
  readonly at: string;
  /** The trusted key whose signature the report carried; null or absent when unsigned. */
  readonly signedBy?: string | null;
  /** The version of Smith's message, and the fields of a later minor version left out (SmithKillMessage). */
  readonly smithVersion?: string | null;
  readonly ignoredFields?: readonly string[];
  /** Until when the kill waits for its SIEM context (a SIEM configured where it is taken in); null or absent: it does not. */
  readonly enrichmentDeadline?: string | null;
}

export interface DecideResurrection {
  readonly type: 'DecideResurrection';
  readonly killId: string;
  readonly at: string;
  readonly decisionId: string;
  /** Used only when the decision needs a human. */
  readonly queueItemId: string;
  readonly siem: SiemRiskContext | null;
  readonly siemStatus: SiemStatus;
  readonly history: ModuleHistory;
  readonly autoResurrectionsLastHour: number;
  /** Set while the module is quarantined: the decision then goes to a human. */
  readonly quarantine: ModuleQuarantine | null;
  /** Items waiting for a human on the approval queue (see `awaitsApproval`): at the bound, no more are queued. */
  readonly pendingApprovals: number;
  /** Kills reported within the burst window (constraints.kill_burst), this one included; absent: not counted. */
  readonly recentKills?: number;
  readonly policy: PolicySettings;
  readonly risk: RiskSettings;
}

/** Commands that travel on the log (medic.kill.commands) carry an id the answer names. */
interface LoggedCommandBase {
  readonly commandId: string;
  readonly killId: string;
  readonly at: string;
}

export interface GrantApproval extends LoggedCommandBase {
  readonly type: 'GrantApproval';
  readonly at: string;
  readonly approver: string;
  readonly notes: string | null;
}

export interface DenyApproval extends LoggedCommandBase {
  readonly type: 'DenyApproval';
  readonly denier: string;
  readonly reason: string;
}

export interface ExpireApproval extends LoggedCommandBase {
  readonly type: 'ExpireApproval';
  /** The timer that fired. */
  readonly actor: string;
}

export interface ExpireEnrichment extends LoggedCommandBase {
  readonly type: 'ExpireEnrichment';
  /** The timer that fired. */
  readonly actor: string;
}

/** A deferred resurrection's backoff has passed: the executor may start it. */
export interface ResumeResurrection extends LoggedCommandBase {
  readonly type: 'ResumeResurrection';
  /** The timer that fired. */
  readonly actor: string;
}

/** An operator asks for a resurrection to be undone (the module stopped again). */
export interface RequestRollback extends LoggedCommandBase {
  readonly type: 'RequestRollback';
  readonly actor: string;
  readonly reason: string;
}

/**
 * An automatic approval a quarantine overtook before anything was started: the
 * executor asks for it to go to a human, as a new item of the approval queue.
 */
export interface ReviewApproval extends LoggedCommandBase {
  readonly type: 'ReviewApproval';
  readonly actor: string;
  readonly reason: string;
  readonly queueItemId: string;
  readonly expiresAt: string;
}

/** The commands others send through the log; the workflow answers each on the kill's events. */
export type LoggedKillCommand = GrantApproval | DenyApproval | ExpireApproval | ExpireEnrichment | ResumeResurrection | RequestRollback | ReviewApproval;
export type LoggedKillCommandType = LoggedKillCommand['type'];

export type KillCommand = ReportKill | DecideResurrection | LoggedKillCommand;
export type KillCommandType = KillCommand['type'];
