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
  /** False when the input was unavailable and the factor was left out of the score. */
  readonly observed: boolean;
  readonly explanation: string;
}

export interface RiskAssessment {
  readonly score: number;
  readonly level: RiskLevel;
  readonly factors: readonly RiskFactor[];
  /** Share of the configured weight whose input was observed, in [0,1]. */
  readonly coverage: number;
}

/** What the SIEM said about the kill, as far as the risk score is concerned. */
export interface SiemRiskContext {
  readonly riskScore: number;
  readonly falsePositiveHistory: number;
}

/** Counts for the killed module, derived by the caller from the event log. */
export interface ModuleHistory {
  readonly priorKills: number;
  readonly priorResurrections: number;
  readonly falsePositives: number;
  readonly reKills: number;
}

export interface RiskInput {
  readonly report: KillReport;
  /** Null when the SIEM was not configured or did not answer. */
  readonly siem: SiemRiskContext | null;
  readonly history: ModuleHistory;
}
