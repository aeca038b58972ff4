import { round4 } from '../shared/numbers';
import { plural } from '../shared/wording';
import { assertNever } from '../shared/errors';
import { heldDownBy } from '../risk/risk-assessor';
import { NO_SIEM_GAPS, type RiskAssessment, type SiemGaps } from '../risk/risk.types';
import type { DecisionOutcome, SiemStatus } from './decision.types';
import type { DecisionConfidence } from './decision-confidence';
import type { PolicyInput, PolicySettings } from './policy.types';

/* The human-readable parts of a verdict: reasoning lines, action and constraints. */

const TOP_FACTORS = 3;

export function riskSummary(risk: RiskAssessment): string {
  const top = risk.factors
    .filter((f) => f.contribution > 0)
    .sort((a, b) => b.contribution - a.contribution)
    .slice(0, TOP_FACTORS)
    .map((f) => `${f.name} ${round4(f.contribution)}`);
  const factors = top.length > 0 ? top.join(', ') : 'none';
  const summary = `Risk score ${risk.score} (${risk.level}) = likelihood ${risk.likelihood} × (1 + impact ${risk.impact}) / 2; top contributing factors: ${factors}.`;
  const down = heldDownBy(risk).slice(0, TOP_FACTORS);
  if (down.length === 0) return summary;
  return `${summary} Held down by: ${down.map((h) => `${h.name} at ${h.normalized} (without it the score would be ${h.scoreWithout})`).join(', ')}.`;
}

export function siemSummary(status: SiemStatus, indicators: readonly string[] = [], gaps: SiemGaps = NO_SIEM_GAPS): string {
  switch (status) {
    case 'used': {
      const used = indicators.length > 0 ? `SIEM context was used; the indicators that weighed most: ${indicators.join('; ')}.` : 'SIEM context was used: no usable threat indicators for the module in the window.';
      if (gaps.ignored === 0) return used;
      const unusable = gaps.unusableIndicators > 0 ? `, among them ${plural(gaps.unusableIndicators, 'indicator')} that could not be weighed at all` : '';
      return `${used} ${plural(gaps.ignored, 'part')} of its answer could not be used${unusable} (named in the ContextEnriched event's ignored_fields).`;
    }
    case 'not_configured':
      return 'No SIEM context was used: no SIEM is configured.';
    case 'unavailable':
      return 'No SIEM context was used: the SIEM was unavailable, so the decision is degraded and is never auto-approved.';
    default:
      return assertNever(status, 'SIEM status');
  }
}

export function confidenceSummary(c: DecisionConfidence, coverage: number): string {
  const why = `the score is ${c.distance} from ${c.nearestThreshold}, the nearest threshold where the decision would change`;
  return `Decision confidence ${c.value} = coverage ${coverage} × certainty ${c.certainty} (${why}).`;
}

export function recommendedAction(outcome: DecisionOutcome, observeOnly: boolean, module: string): string {
  const action = actionFor(outcome, module);
  return observeOnly ? `none (observer mode; would ${action})` : action;
}

function actionFor(outcome: DecisionOutcome, module: string): string {
  switch (outcome) {
    case 'approve_auto':
    case 'approve_manual':
      return `restart module ${module}`;
    case 'pending_review':
      return 'queue for human review';
    case 'deny':
      return `keep module ${module} down`;
    case 'defer':
      return 'wait for more information';
    default:
      return assertNever(outcome, 'decision outcome');
  }
}

/** Conditions attached to the resurrection, for the operator and the executor. */
export function constraintsFor(
  outcome: DecisionOutcome,
  observeOnly: boolean,
  input: PolicyInput,
  settings: PolicySettings,
): string[] {
  const degraded = input.siemStatus === 'unavailable' ? ['degraded: decided without SIEM context'] : [];
  if (observeOnly) return ['observer mode: no action will be taken', ...degraded];
  return [...outcomeConstraints(outcome, input, settings), ...degraded];
}

function outcomeConstraints(outcome: DecisionOutcome, input: PolicyInput, settings: PolicySettings): string[] {
  switch (outcome) {
    case 'approve_auto':
      return [`auto budget: ${input.autoResurrectionsLastHour} of ${settings.constraints.maxAutoResurrectionsPerHour} used this hour`];
    case 'pending_review':
      return ['human approval required', `approval expires after ${settings.approvalTimeoutHours} hours`];
    case 'deny':
      return [`module ${input.report.targetModule} stays down`];
    case 'approve_manual':
    case 'defer':
      return [];
    default:
      return assertNever(outcome, 'decision outcome');
  }
}
