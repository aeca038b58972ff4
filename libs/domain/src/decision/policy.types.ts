import type { KillReason, KillReport } from '../kill/kill-report';
import type { ModuleQuarantine } from '../module/module-standing';
import type { RiskAssessment, RiskLevel, RiskThresholds, RiskWeights, SiemGaps } from '../risk/risk.types';
import type { DenialCode, Mode, ResurrectionDecision, SiemStatus } from './decision.types';

/** What the decision policy needs from configuration (config keys in comments). */
export interface PolicySettings {
  /** mode.current */
  readonly mode: Mode;
  readonly autoApprove: {
    /** decision.auto_approve.enabled */
    readonly enabled: boolean;
    /** decision.auto_approve.max_risk_level */
    readonly maxRiskLevel: RiskLevel;
    /** decision.auto_approve.min_confidence */
    readonly minConfidence: number;
  };
  readonly constraints: {
    /** constraints.max_auto_resurrections_per_hour */
    readonly maxAutoResurrectionsPerHour: number;
    /** constraints.require_human_review_for_critical */
    readonly requireHumanReviewForCritical: boolean;
    /** constraints.blacklisted_modules */
    readonly blacklistedModules: readonly string[];
    /** constraints.always_require_approval */
    readonly alwaysRequireApproval: readonly string[];
    /** constraints.require_human_review_for_reasons: kills reported for these reasons always need a human */
    readonly requireHumanReviewForReasons: readonly KillReason[];
    /**
     * constraints.kill_burst: more kills than `maxKills` reported within `windowSeconds`
     * trip a breaker: no kill is auto-approved until the rate falls (maxKills 0: no limit).
     */
    readonly killBurst: KillBurstLimit;
  };
  /** decision.default_timeout_minutes */
  readonly defaultTimeoutMinutes: number;
  /** decision.confidence_threshold: from this Smith confidence on, a kill is Smith's firm call and a human decides */
  readonly smithConfidenceThreshold: number;
  /** interfaces.approval_queue.timeout_hours */
  readonly approvalTimeoutHours: number;
  /** interfaces.approval_queue.max_pending: no more items than this wait for a human at once */
  readonly maxPendingApprovals: number;
}

/** constraints.kill_burst.* */
export interface KillBurstLimit {
  readonly maxKills: number;
  readonly windowSeconds: number;
}

/** What the risk assessor needs from configuration. */
export interface RiskSettings {
  /** risk.weights.* */
  readonly weights: RiskWeights;
  /** risk.thresholds.* */
  readonly thresholds: RiskThresholds;
  /** risk.module_criticality.default and risk.module_criticality.modules.<name>, each in [0,1] */
  readonly moduleCriticality: { readonly default: number; readonly modules: Readonly<Record<string, number>> };
}

/** Everything the decision policy looks at for one kill. */
export interface PolicyInput {
  readonly report: KillReport;
  readonly risk: RiskAssessment;
  /** The thresholds the risk was classified by: confidence drops near them. */
  readonly thresholds: RiskThresholds;
  readonly siemStatus: SiemStatus;
  /** The SIEM indicators that weighed most, named in the reasoning. */
  readonly siemIndicators?: readonly string[];
  /** What of the SIEM's answer could not be used. */
  readonly siemGaps?: SiemGaps;
  /** Auto-resurrections in the hour before the decision, counted by the caller from the event log. */
  readonly autoResurrectionsLastHour: number;
  /** Set while the module is quarantined (too many re-kills): a human decides. */
  readonly quarantine?: ModuleQuarantine | null;
  /** Items waiting for a human on the approval queue when the kill is decided, counted by the caller (none when absent). */
  readonly pendingApprovals?: number;
  /**
   * Kills reported within constraints.kill_burst.window_seconds before the decision, this one
   * included, counted by the caller (none when absent). A caller may stop counting past the limit.
   */
  readonly recentKills?: number;
}

export type AutoApprovalBarrierCode =
  | 'auto_approve_disabled'
  | 'risk_level'
  | 'low_confidence'
  | 'always_require_approval'
  | 'kill_reason'
  | 'critical_severity'
  | 'critical_module'
  | 'smith_confident'
  | 'siem_unavailable'
  | 'siem_unusable_indicators'
  | 'budget_spent'
  | 'kill_burst'
  | 'quarantined';

/** One unmet condition for auto-approval. */
export interface AutoApprovalBarrier {
  readonly code: AutoApprovalBarrierCode;
  readonly reason: string;
}

/** The policy's answer before it is stamped with ids and time (see buildDecision). */
export interface PolicyVerdict
  extends Pick<
    ResurrectionDecision,
    'outcome' | 'confidence' | 'reasoning' | 'recommendedAction' | 'requiresHumanReview' | 'autoApproveEligible' | 'constraints' | 'timeoutMinutes' | 'observeOnly'
  > {
  /** Why auto-approval was not possible; empty when eligible. */
  readonly autoApproveBarriers: readonly AutoApprovalBarrier[];
  /** Why it was denied outright; empty when it was not. */
  readonly denials: readonly DenialCode[];
}
