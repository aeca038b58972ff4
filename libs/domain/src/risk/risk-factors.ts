import type { Severity } from '../kill/kill-report';
import { clamp01, round4 } from '../shared/numbers';
import { plural } from '../shared/wording';
import type { RiskSettings } from '../decision/policy.types';
import type { RiskFactorName, RiskInput } from './risk.types';

/** A factor's input before weighting: what was seen and what it means on the 0–1 risk scale. */
export interface FactorReading {
  readonly name: RiskFactorName;
  readonly raw: number;
  readonly normalized: number;
  readonly observed: boolean;
  readonly outOfModel: boolean;
  readonly explanation: string;
}

const SEVERITY_RISK: Readonly<Record<Severity, number>> = { info: 0, low: 0.25, medium: 0.5, high: 0.75, critical: 1 };

/** The five factors, in a fixed order so that events and explanations read the same every time. */
export function readFactors(input: RiskInput, settings: RiskSettings): readonly FactorReading[] {
  return [
    smithConfidence(input),
    siemRiskScore(input),
    falsePositiveHistory(input),
    moduleCriticality(input, settings),
    severity(input),
  ];
}

function smithConfidence({ report }: RiskInput): FactorReading {
  const confidence = clamp01(report.confidenceScore);
  return reading('smith_confidence', confidence, confidence, `Smith's confidence in the kill is ${round4(confidence)}.`);
}

function siemRiskScore({ siem, siemConfigured }: RiskInput): FactorReading {
  if (siem === null && !siemConfigured) {
    return outOfModel('siem_risk_score', 'No SIEM is configured, so the SIEM risk score is not part of the model.');
  }
  if (siem === null) {
    const explanation = 'The SIEM did not answer, so its risk score is missing.';
    return { name: 'siem_risk_score', raw: 0, normalized: 0, observed: false, outOfModel: false, explanation };
  }
  // An answer with no threat indicators (old states kept no list: they count as before) is no evidence either way.
  if (siem.indicators?.length === 0 && siem.riskScore <= 0) {
    return outOfModel('siem_risk_score', 'The SIEM knows no threat indicators for the module in the window, so it neither raises nor lowers the risk.');
  }
  const score = clamp01(siem.riskScore);
  return reading('siem_risk_score', siem.riskScore, score, `The SIEM rates the kill's risk at ${round4(score)}.`);
}

/**
 * How often kills of this module were right, from what became of their
 * resurrections: one that stayed stable (or a false positive the SIEM knows
 * of) says the kill was wrong, a re-kill or a rollback says it was right.
 * Laplace's rule of succession turns the counts into a rate: (right + 1) /
 * (all + 2). Kills with no outcome yet say nothing, and with no evidence at
 * all the factor is left out rather than guessed.
 */
function falsePositiveHistory({ siem, history, report }: RiskInput): FactorReading {
  const falsePositives = Math.max(0, history.falsePositives) + Math.max(0, siem?.falsePositiveHistory ?? 0);
  const right = Math.max(0, history.reKills) + Math.max(0, history.rollbacks);
  const evidence = falsePositives + right;
  if (evidence === 0) {
    return outOfModel('false_positive_history', `No outcome yet tells whether kills of ${report.targetModule} are right (${history.priorKills} prior kills), so the history is neutral.`);
  }
  const normalized = (right + 1) / (evidence + 2);
  const sources = siem && siem.falsePositiveHistory > 0 ? 'outcomes and the SIEM' : 'outcomes';
  const explanation = `${plural(falsePositives, 'false positive')} and ${plural(right, 'kill')} proven right (re-killed or rolled back) according to ${sources}: (${right}+1)/(${evidence}+2) = ${round4(normalized)}.`;
  return reading('false_positive_history', falsePositives, normalized, explanation);
}

function moduleCriticality({ report }: RiskInput, settings: RiskSettings): FactorReading {
  const { modules } = settings.moduleCriticality;
  // hasOwn: a module may well be called "constructor".
  const configured = Object.hasOwn(modules, report.targetModule) ? modules[report.targetModule] : undefined;
  const value = clamp01(configured ?? settings.moduleCriticality.default);
  const origin = configured === undefined ? 'the default' : 'configured';
  return reading('module_criticality', value, value, `Module ${report.targetModule} has criticality ${round4(value)} (${origin}).`);
}

function severity({ report }: RiskInput): FactorReading {
  const value = SEVERITY_RISK[report.severity];
  return reading('severity', value, value, `Smith rated the kill ${report.severity} severity: ${value}.`);
}

function reading(name: RiskFactorName, raw: number, normalized: number, explanation: string): FactorReading {
  return { name, raw, normalized, observed: true, outOfModel: false, explanation };
}

function outOfModel(name: RiskFactorName, explanation: string): FactorReading {
  return { name, raw: 0, normalized: 0, observed: false, outOfModel: true, explanation };
}
