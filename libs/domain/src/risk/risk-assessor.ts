import type { RiskSettings } from '../decision/policy.types';
import { DomainError } from '../shared/errors';
import { clamp01, round4 } from '../shared/numbers';
import { readFactors, type FactorReading } from './risk-factors';
import { riskLevelFor } from './risk-level';
import { FACTOR_ROLES, RISK_FACTOR_NAMES, type FactorRole, type RiskAssessment, type RiskFactor, type RiskFactorName, type RiskInput, type RiskWeights } from './risk.types';

/**
 * Scores how risky it is to bring the killed module back: how likely the
 * kill was right, times how much a real threat let back in would hurt.
 *
 *   likelihood L = weighted mean of Smith's confidence, the SIEM risk score and
 *                  the module's record of kills proven right or wrong
 *   impact     I = weighted mean of the module's criticality and the severity
 *   score        = L × (1 + I) / 2
 *
 * A threat let back in always costs something, so even a harmless module
 * counts half; a critical one counts whole. The configured weights weigh the
 * factors within each side. A factor whose source this deployment does not
 * have, or a record with no outcomes yet, is out of the model: it moves
 * nothing either way. A source that should have answered and did not (the
 * SIEM down) is missing: it is left out of the score and lowers `coverage`,
 * which caps the decision's confidence.
 */
export function assessRisk(input: RiskInput, settings: RiskSettings): RiskAssessment {
  checkWeights(settings.weights);
  const readings = readFactors(input, settings);
  const w = (r: FactorReading) => settings.weights[r.name];
  const inModel = readings.filter((r) => !r.outOfModel);
  const counted = inModel.filter((r) => r.observed);
  const likelihood = weightedMean(counted.filter((r) => FACTOR_ROLES[r.name] === 'likelihood'), w);
  const impact = weightedMean(counted.filter((r) => FACTOR_ROLES[r.name] === 'impact'), w);
  const score = round4(clamp01(likelihood.value * ((1 + impact.value) / 2)));
  const modelWeight = inModel.reduce((sum, r) => sum + w(r), 0);
  const coverage = modelWeight > 0 ? round4(counted.reduce((sum, r) => sum + w(r), 0) / modelWeight) : 0;
  // score = L/2 + L·I/2: a likelihood factor carries half its share of L, an impact factor L/2 times its share of I.
  const effective = (r: FactorReading): number => {
    if (r.outOfModel || !r.observed) return 0;
    return FACTOR_ROLES[r.name] === 'likelihood' ? w(r) / likelihood.weight / 2 : (likelihood.value * w(r)) / impact.weight / 2;
  };
  const factors = readings.map((r) => weigh(r, w(r), effective(r), FACTOR_ROLES[r.name]));
  return {
    score,
    level: riskLevelFor(score, settings.thresholds),
    factors: roundedToScore(factors, score),
    coverage,
    likelihood: round4(likelihood.value),
    impact: round4(impact.value),
  };
}

/** A factor that held the score down: what the score would be were it left out. */
export interface HoldingDown {
  readonly name: RiskFactorName;
  readonly normalized: number;
  readonly scoreWithout: number;
}

/**
 * The factors that spoke for bringing the module back (normalized below 0.5)
 * and kept the score lower than the rest of their side would have made it: a
 * false-positive record, a quiet SIEM, a harmless module. Most first, each
 * with the score the assessment would have without it, computed from the
 * assessment alone: within a side the applied weights keep the configured
 * proportions, so leaving a factor out is its side's weighted mean of the
 * others. A factor alone on its side is not counted (without it the side says
 * nothing), nor one whose absence would raise the score by less than
 * `atLeast`; nor a factor that itself says "risky" (Smith at 0.96 beside a
 * SIEM at 0.99 lowers the mean, but nobody would say it held the risk down).
 */
export function heldDownBy(risk: RiskAssessment, atLeast = 0.01): HoldingDown[] {
  const counted = risk.factors.filter((f) => f.observed && !f.outOfModel && f.weight > 0);
  const side = (role: FactorRole) => counted.filter((f) => FACTOR_ROLES[f.name] === role);
  const meanWithout = (role: FactorRole, left: RiskFactor): number | null => {
    const rest = side(role).filter((f) => f !== left);
    const weight = rest.reduce((sum, f) => sum + f.weight, 0);
    return weight > 0 ? rest.reduce((sum, f) => sum + f.weight * f.normalized, 0) / weight : null;
  };
  return counted
    .filter((f) => f.normalized < 0.5)
    .map((f) => {
      const role = FACTOR_ROLES[f.name];
      const without = meanWithout(role, f);
      if (without === null) return null;
      const [likelihood, impact] = role === 'likelihood' ? [without, risk.impact] : [risk.likelihood, without];
      return { name: f.name, normalized: round4(f.normalized), scoreWithout: round4(clamp01(likelihood * ((1 + impact) / 2))) };
    })
    .filter((h): h is HoldingDown => h !== null && h.scoreWithout - risk.score >= atLeast)
    .sort((a, b) => b.scoreWithout - a.scoreWithout);
}

function weightedMean(readings: readonly FactorReading[], weightOf: (r: FactorReading) => number): { value: number; weight: number } {
  const weight = readings.reduce((sum, r) => sum + weightOf(r), 0);
  // A side with nothing to say (all its weights zero) takes no part: likelihood 0 scores 0, impact 0 counts half.
  if (weight <= 0) return { value: 0, weight: 1 };
  return { value: readings.reduce((sum, r) => sum + weightOf(r) * r.normalized, 0) / weight, weight };
}

/**
 * Factors shown to 4 decimals like the score, with the contributions rounded so
 * that they still add up to the score exactly (largest remainders get the last
 * 0.0001s), however the weights were divided.
 */
function roundedToScore(factors: readonly RiskFactor[], score: number): RiskFactor[] {
  const units = factors.map((f) => f.contribution * 10_000);
  const floors = units.map(Math.floor);
  let missing = Math.round(score * 10_000) - floors.reduce((sum, u) => sum + u, 0);
  const byRemainder = units.map((u, i) => ({ i, rest: u - floors[i]! })).sort((a, b) => b.rest - a.rest);
  for (const { i } of byRemainder) {
    if (missing <= 0) break;
    floors[i]! += 1;
    missing -= 1;
  }
  return factors.map((f, i) => ({ ...f, weight: round4(f.weight), contribution: floors[i]! / 10_000 }));
}

function weigh(reading: FactorReading, configuredWeight: number, weight: number, role: FactorRole): RiskFactor {
  if (reading.outOfModel) return { ...reading, weight: 0, contribution: 0 };
  if (!reading.observed) {
    const note = ` Its weight ${round4(configuredWeight)} counts as missing: the coverage drops.`;
    return { ...reading, weight: 0, contribution: 0, explanation: reading.explanation + note };
  }
  const note = ` ${role === 'impact' ? 'An' : 'A'} ${role} factor: weight ${round4(configuredWeight)}, ${round4(weight)} in the score.`;
  return { ...reading, weight, contribution: reading.normalized * weight, explanation: reading.explanation + note };
}

function checkWeights(weights: RiskWeights): void {
  const values = RISK_FACTOR_NAMES.map((name) => weights[name]);
  if (values.some((w) => !Number.isFinite(w) || w < 0)) {
    throw new DomainError('invalid_risk_settings', 'risk weights must be finite and not negative', { weights });
  }
  if (values.reduce((sum, w) => sum + w, 0) <= 0) throw new DomainError('invalid_risk_settings', 'risk weights must not all be zero', { weights });
}
