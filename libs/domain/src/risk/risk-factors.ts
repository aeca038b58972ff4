import type { Severity } from '../kill/kill-report';
import { clamp01, round4 } from '../shared/numbers';
import type { RiskSettings } from '../decision/policy.types';
import type { RiskFactorName, RiskInput } from './risk.types';

/** A factor's input before weighting: what was seen and what it means on the 0–1 risk scale. */
export interface FactorReading {
  readonly name: RiskFactorName;
  readonly raw: number;
  readonly normalized: number;
  readonly observed: boolean;
  readonly explanation: string;
}

const SEVERITY_RISK: Readonly<Record<Severity, number>> = { info: 0, low: 0.25, medium: 0.5, high: 0.75, critical: 1 };

// Without SIEM and without a single prior kill we know nothing either way.
const NEUTRAL = 0.5;

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

function siemRiskScore({ siem }: RiskInput): FactorReading {
  if (siem === null) {
    const explanation = 'No SIEM context, so the SIEM risk score is unobserved.';
    return { name: 'siem_risk_score', raw: 0, normalized: 0, observed: false, explanation };
  }
  const score = clamp01(siem.riskScore);
  return reading('siem_risk_score', siem.riskScore, score, `The SIEM rates the kill's risk at ${round4(score)}.`);
}

// Few false positives mean Smith is usually right, so resurrecting is riskier:
// 0 → 1, 1 → 0.5, 3 → 0.25.
function falsePositiveHistory({ siem, history, report }: RiskInput): FactorReading {
  if (siem === null && history.priorKills === 0) {
    const explanation = `No history: no SIEM and no prior kills of ${report.targetModule}, so neutral ${NEUTRAL}.`;
    return reading('false_positive_history', 0, NEUTRAL, explanation);
  }
  const count = Math.max(0, siem === null ? history.falsePositives : siem.falsePositiveHistory);
  const source = siem === null ? `the event log (${history.priorKills} prior kills)` : 'the SIEM';
  const normalized = 1 / (1 + count);
  const explanation = `${count} false positives according to ${source}: 1/(1+${count}) = ${round4(normalized)}.`;
  return reading('false_positive_history', count, normalized, explanation);
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
  return { name, raw, normalized, observed: true, explanation };
}
