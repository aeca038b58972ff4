import type { DecideResurrection, KillReport, ModuleHistory, PolicySettings, RiskSettings } from '@medic/domain';

/* Shared builders for the domain's unit tests. Values mirror spec 5.1/5.2 defaults where they exist. */

/** The kill of the reboot plan's demo (spec 002, "Success Criteria"). */
export function aReport(overrides: Partial<KillReport> = {}): KillReport {
  return {
    killId: 'demo-1',
    timestamp: '2026-02-11T12:00:00.000Z',
    targetModule: 'nginx-test',
    targetInstanceId: 'inst-001',
    killReason: 'anomaly_behavior',
    severity: 'low',
    confidenceScore: 0.4,
    evidence: ['unusual_traffic'],
    dependencies: [],
    sourceAgent: 'smith',
    metadata: {},
    ...overrides,
  };
}

export const THRESHOLDS = { minimal: 0.2, low: 0.4, medium: 0.6, high: 0.8 } as const;

export const RISK_SETTINGS: RiskSettings = {
  weights: { smith_confidence: 0.3, siem_risk_score: 0.25, false_positive_history: 0.2, module_criticality: 0.15, severity: 0.1 },
  thresholds: THRESHOLDS,
  moduleCriticality: { default: 0.5, modules: { 'nginx-test': 0.2, 'auth-service': 0.9, 'core-db': 1 } },
};

export const POLICY_SETTINGS: PolicySettings = {
  mode: 'semi_auto',
  autoApprove: { enabled: true, maxRiskLevel: 'low', minConfidence: 0.85 },
  constraints: {
    maxAutoResurrectionsPerHour: 10,
    requireHumanReviewForCritical: true,
    blacklistedModules: ['evil-module'],
    alwaysRequireApproval: ['auth-service', 'payment-processor', 'data-pipeline'],
    requireHumanReviewForReasons: ['manual_override'],
    killBurst: { maxKills: 30, windowSeconds: 60 },
  },
  defaultTimeoutMinutes: 60,
  smithConfidenceThreshold: 0.7,
  approvalTimeoutHours: 24,
  maxPendingApprovals: 100,
};

export const NO_HISTORY: ModuleHistory = { priorKills: 0, priorResurrections: 0, falsePositives: 0, reKills: 0, rollbacks: 0 };

/** The command that decides kill demo-1 (semi_auto, no SIEM, no history), with some fields changed. */
export function decideCommand(changes: Partial<DecideResurrection> = {}, policy: Partial<PolicySettings> = {}): DecideResurrection {
  return {
    type: 'DecideResurrection',
    killId: 'demo-1',
    at: '2026-02-11T12:00:05.000Z',
    decisionId: 'dec-1',
    queueItemId: 'q-item-1',
    siem: null,
    siemStatus: 'not_configured',
    history: NO_HISTORY,
    autoResurrectionsLastHour: 0,
    quarantine: null,
    pendingApprovals: 0,
    policy: { ...POLICY_SETTINGS, ...policy },
    risk: RISK_SETTINGS,
    ...changes,
  };
}

/** Runs fn and returns what it threw, for matching on DomainError codes. */
export function thrownBy(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected the call to throw');
}
