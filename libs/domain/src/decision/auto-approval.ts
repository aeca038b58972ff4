import type { KillReason } from '../kill/kill-report';
import { compareRiskLevels } from '../risk/risk-level';
import type { RiskThresholds } from '../risk/risk.types';
import type { DenialCode } from './decision.types';
import type { AutoApprovalBarrier, AutoApprovalBarrierCode, PolicyInput, PolicySettings } from './policy.types';

/** What a kill reason says that its name does not, where a reviewer might wonder. */
const REASON_GLOSS: Partial<Record<KillReason, string>> = {
  manual_override: ' (someone ordered the kill by hand)',
  dependency_cascade: ' (a module it depends on was killed)',
};

/** A module counts as critical where its criticality reaches the critical risk band (risk.thresholds.high). */
export function isCriticalModule(criticality: number, thresholds: Pick<RiskThresholds, 'high'>): boolean {
  return criticality >= thresholds.high;
}

/** Reasons the kill must be denied outright, whatever the mode. */
export function denialReasons({ report, risk }: PolicyInput, settings: PolicySettings): { code: DenialCode; reason: string }[] {
  const reasons: { code: DenialCode; reason: string }[] = [];
  if (settings.constraints.blacklistedModules.includes(report.targetModule)) {
    reasons.push({ code: 'blacklisted', reason: `module ${report.targetModule} is blacklisted` });
  }
  if (risk.level === 'critical') reasons.push({ code: 'critical_risk', reason: `risk level is critical (score ${risk.score})` });
  return reasons;
}

/**
 * Every unmet condition for auto-approval, in the order an operator would
 * check them; all are listed, not just the first, so the reasoning is complete.
 * A blacklisted module is a denial, not a barrier, so it is not repeated here.
 */
export function autoApprovalBarriers(input: PolicyInput, settings: PolicySettings, confidence: number): AutoApprovalBarrier[] {
  const { report, risk, siemStatus, autoResurrectionsLastHour: used } = input;
  const { autoApprove, constraints } = settings;
  const module = report.targetModule;
  const barriers: AutoApprovalBarrier[] = [];
  const bar = (failed: boolean, code: AutoApprovalBarrierCode, reason: string): void => {
    if (failed) barriers.push({ code, reason });
  };
  bar(!autoApprove.enabled, 'auto_approve_disabled', 'auto-approval is disabled');
  bar(
    compareRiskLevels(risk.level, autoApprove.maxRiskLevel) > 0,
    'risk_level',
    `risk level ${risk.level} is above the auto-approve maximum ${autoApprove.maxRiskLevel}`,
  );
  bar(
    confidence < autoApprove.minConfidence,
    'low_confidence',
    `decision confidence ${confidence} is below the auto-approve minimum ${autoApprove.minConfidence}`,
  );
  bar(constraints.alwaysRequireApproval.includes(module), 'always_require_approval', `module ${module} always requires human approval`);
  bar(
    constraints.requireHumanReviewForReasons.includes(report.killReason),
    'kill_reason',
    `Smith killed the module for ${report.killReason}${REASON_GLOSS[report.killReason] ?? ''}, and kills for that reason require human review`,
  );
  bar(
    report.severity === 'critical' && constraints.requireHumanReviewForCritical,
    'critical_severity',
    'severity is critical and critical kills require human review',
  );
  const criticality = input.risk.factors.find((f) => f.name === 'module_criticality')?.raw ?? 0;
  bar(
    isCriticalModule(criticality, input.thresholds) && constraints.requireHumanReviewForCritical,
    'critical_module',
    `module ${module} is critical (criticality ${criticality}, at or above ${input.thresholds.high}) and critical modules require human review`,
  );
  bar(
    report.confidenceScore >= settings.smithConfidenceThreshold,
    'smith_confident',
    `Smith is ${report.confidenceScore} sure it was a threat, at or above the confidence threshold ${settings.smithConfidenceThreshold}`,
  );
  bar(siemStatus === 'unavailable', 'siem_unavailable', 'the SIEM was unavailable, so the decision is degraded');
  const unusable = input.siemGaps?.unusableIndicators ?? 0;
  bar(unusable > 0, 'siem_unusable_indicators', `${unusable} of the SIEM's indicators for the module could not be weighed, so a threat may have been missed`);
  bar(
    used >= constraints.maxAutoResurrectionsPerHour,
    'budget_spent',
    `hourly auto-resurrection budget spent (${used} of ${constraints.maxAutoResurrectionsPerHour})`,
  );
  const burst = constraints.killBurst;
  const recent = input.recentKills ?? 0;
  bar(
    burst.maxKills > 0 && recent > burst.maxKills,
    'kill_burst',
    `more than ${burst.maxKills} kills were reported within ${burst.windowSeconds} s (a burst: an attack, a cascade or Smith misfiring), so a human decides each resurrection until the rate falls`,
  );
  const quarantine = input.quarantine ?? null;
  if (quarantine !== null) barriers.push({ code: 'quarantined', reason: quarantine.reason });
  return barriers;
}
