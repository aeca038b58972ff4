import type { RiskLevel, RiskThresholds, RiskWeights } from '../risk/risk.types';
import type { Mode } from './decision.types';

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
  };
  /** decision.default_timeout_minutes */
  readonly defaultTimeoutMinutes: number;
  /** interfaces.approval_queue.timeout_hours */
  readonly approvalTimeoutHours: number;
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
