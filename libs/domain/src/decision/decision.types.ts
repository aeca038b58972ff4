import type { RiskLevel } from '../risk/risk.types';

export const MODES = ['observer', 'manual', 'semi_auto', 'full_auto'] as const;
export type Mode = (typeof MODES)[number];

export const DECISION_OUTCOMES = ['approve_auto', 'approve_manual', 'pending_review', 'deny', 'defer'] as const;
export type DecisionOutcome = (typeof DECISION_OUTCOMES)[number];

/** How the SIEM took part in a decision. */
export type SiemStatus = 'used' | 'not_configured' | 'unavailable';

/** The decision engine's verdict on one kill (spec 2.3). */
export interface ResurrectionDecision {
  readonly decisionId: string;
  readonly killId: string;
  readonly timestamp: string;
  readonly outcome: DecisionOutcome;
  readonly riskLevel: RiskLevel;
  readonly riskScore: number;
  readonly confidence: number;
  readonly reasoning: readonly string[];
  readonly recommendedAction: string;
  readonly requiresHumanReview: boolean;
  readonly autoApproveEligible: boolean;
  readonly constraints: readonly string[];
  readonly timeoutMinutes: number;
  /** The mode in force when the decision was made. */
  readonly mode: Mode;
  /** True in observer mode: the verdict is recorded, nothing acts on it. */
  readonly observeOnly: boolean;
  readonly siemStatus: SiemStatus;
  /** Why it came out as it did, as codes; null in decisions made before they were kept. */
  readonly grounds: DecisionGrounds | null;
}

/** Why a kill was denied outright. */
export const DENIAL_CODES = ['blacklisted', 'critical_risk', 'queue_full'] as const;
export type DenialCode = (typeof DENIAL_CODES)[number];

/** The codes of a decision's reasoning: what a what-if re-decides from. */
export interface DecisionGrounds {
  /** Every unmet condition for auto-approval (AutoApprovalBarrierCode). */
  readonly autoApproveBarriers: readonly string[];
  readonly denials: readonly DenialCode[];
}
