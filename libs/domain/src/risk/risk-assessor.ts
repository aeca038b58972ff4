import type { RiskSettings } from '../decision/policy.types';
import { DomainError } from '../shared/errors';
import { clamp01, round4 } from '../shared/numbers';
import { readFactors, type FactorReading } from './risk-factors';
import { riskLevelFor } from './risk-level';
import { RISK_FACTOR_NAMES, type RiskAssessment, type RiskFactor, type RiskInput, type RiskWeights } from './risk.types';

/**
 * Scores how risky it is to bring the killed module back: a weighted sum of
 * five factors, each on [0,1]. The weight of an unobserved factor is spread
 * over the observed ones in proportion to their own weights, so a missing
 * SIEM neither lowers nor raises the score by itself; `coverage` records how
 * much of the configured weight was actually observed.
 */
export function assessRisk(input: RiskInput, settings: RiskSettings): RiskAssessment {
  const readings = readFactors(input, settings);
  const configured = totalWeight(settings.weights);
  const observed = readings.filter((r) => r.observed).reduce((sum, r) => sum + settings.weights[r.name], 0);
  // Scale so the observed weights carry the whole configured weight.
  const scale = observed > 0 ? configured / observed : 0;
  const redistributed = observed < configured;
  const factors = readings.map((r) => weigh(r, settings.weights[r.name], scale, redistributed));
  const score = round4(clamp01(factors.reduce((sum, f) => sum + f.contribution, 0)));
  return {
    score,
    level: riskLevelFor(score, settings.thresholds),
    factors: roundedToScore(factors, score),
    coverage: round4(observed / configured),
  };
}

/**
 * Factors shown to 4 decimals like the score, with the contributions rounded so
 * that they still add up to the score exactly (largest remainders get the last
 * 0.0001s), however the redistribution divided the weights.
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

function weigh(reading: FactorReading, configuredWeight: number, scale: number, redistributed: boolean): RiskFactor {
  if (!reading.observed) {
    const note = ` Its weight ${round4(configuredWeight)} was redistributed over the observed factors.`;
    return { ...reading, weight: 0, contribution: 0, explanation: reading.explanation + note };
  }
  const weight = configuredWeight * scale;
  const note =
    redistributed && configuredWeight > 0
      ? ` Weight raised from ${round4(configuredWeight)} to ${round4(weight)} to cover unobserved factors.`
      : '';
  return { ...reading, weight, contribution: reading.normalized * weight, explanation: reading.explanation + note };
}

function totalWeight(weights: RiskWeights): number {
  const values = RISK_FACTOR_NAMES.map((name) => weights[name]);
  if (values.some((w) => !Number.isFinite(w) || w < 0)) {
    throw new DomainError('invalid_risk_settings', 'risk weights must be finite and not negative', { weights });
  }
  const total = values.reduce((sum, w) => sum + w, 0);
  if (total <= 0) throw new DomainError('invalid_risk_settings', 'risk weights must not all be zero', { weights });
  return total;
}
