import type { KillReport } from '../kill/kill-report';

export const RISK_LEVELS = ['minimal', 'low', 'medium', 'high', 'critical'] as const;
export type RiskLevel = (typeof RISK_LEVELS)[number];

/** Weights of the risk factors (config `risk.weights.*`). */
export interface RiskWeights {
  readonly smith_confidence: number;
  readonly siem_risk_score: number;
  readonly false_positive_history: number;
  readonly module_criticality: number;
  readonly severity: number;
}
export type RiskFactorName = keyof RiskWeights;
export const RISK_FACTOR_NAMES: readonly RiskFactorName[] = [
  'smith_confidence',
  'siem_risk_score',
  'false_positive_history',
  'module_criticality',
  'severity',
];

/** Upper bounds of each level (config `risk.thresholds.*`): score < minimal → minimal, …, ≥ high → critical. */
export interface RiskThresholds {
  readonly minimal: number;
  readonly low: number;
  readonly medium: number;
  readonly high: number;
}

/** One factor of a risk score, kept in the event so that every decision can be explained. */
export interface RiskFactor {
  readonly name: RiskFactorName;
  /** The input as observed (e.g. the confidence score, the count of false positives). */
  readonly raw: number;
  /** The input mapped to [0,1], 1 meaning "riskier to resurrect". */
  readonly normalized: number;
  /** The weight actually applied (after redistributing the weight of missing factors). */
  readonly weight: number;
  /** normalized × weight; the contributions add up to the score. */
  readonly contribution: number;
  /**
   * False when the input should have been there and was not (the SIEM did not
   * answer): the factor is left out of the score and lowers the coverage.
   */
  readonly observed: boolean;
  /**
   * True when the factor takes no part: a source this deployment does not
   * have (no SIEM configured) or a history with no outcomes yet says nothing
   * either way, so it neither moves the score nor lowers the coverage.
   */
  readonly outOfModel: boolean;
  readonly explanation: string;
}

export interface RiskAssessment {
  readonly score: number;
  readonly level: RiskLevel;
  readonly factors: readonly RiskFactor[];
  /** Share of the weight of the factors in the model whose input was observed, in [0,1]. */
  readonly coverage: number;
  /** How likely the kill was right (the module is a real threat), from the likelihood factors. */
  readonly likelihood: number;
  /** How much a real threat let back in would hurt, from the impact factors. */
  readonly impact: number;
}

/** What the SIEM said about the kill, as far as the risk score is concerned. */
/** Gaps are absent in kill states folded before they were kept. */
export interface SiemRiskContext extends Partial<SiemGaps> {
  readonly riskScore: number;
  readonly falsePositiveHistory: number;
  /** The indicators that weighed most, described; named in the reasoning. */
  readonly indicators?: readonly string[];
}

/** What of the SIEM's answer could not be used: parts left out (ContextEnriched.ignored_fields), and among them indicators that could not be weighed at all. */
export interface SiemGaps {
  readonly ignored: number;
  readonly unusableIndicators: number;
}

export const NO_SIEM_GAPS: SiemGaps = { ignored: 0, unusableIndicators: 0 };

/** The gaps a SIEM context or kill state holds, none where it was folded before they were kept. */
export function siemGapsOf(from: Partial<SiemGaps> | null | undefined): SiemGaps {
  return { ignored: from?.ignored ?? NO_SIEM_GAPS.ignored, unusableIndicators: from?.unusableIndicators ?? NO_SIEM_GAPS.unusableIndicators };
}

/** The killed module's record, folded by the caller from the event log. */
export interface ModuleHistory {
  readonly priorKills: number;
  readonly priorResurrections: number;
  /** Resurrections that stayed stable: evidence their kills were false positives. */
  readonly falsePositives: number;
  /** Resurrections the module was killed again after: evidence the kill was right. */
  readonly reKills: number;
  /** Resurrections rolled back on an anomaly: evidence the kill was right. */
  readonly rollbacks: number;
}

export interface RiskInput {
  readonly report: KillReport;
  /** Null when the SIEM is not configured or did not answer (`siemConfigured` tells which). */
  readonly siem: SiemRiskContext | null;
  readonly siemConfigured: boolean;
  readonly history: ModuleHistory;
}

/** Which side of the risk a factor speaks to: is the kill right, and how bad would it be. */
export type FactorRole = 'likelihood' | 'impact';
export const FACTOR_ROLES: Readonly<Record<RiskFactorName, FactorRole>> = {
  smith_confidence: 'likelihood',
  siem_risk_score: 'likelihood',
  false_positive_history: 'likelihood',
  module_criticality: 'impact',
  severity: 'impact',
};
