import { AUTO_APPROVABLE_LEVELS, changedThresholds, THRESHOLD_BOUNDS, thresholdsProblems, type DecisionThresholds, type RiskLevel, type ReDecision, type ThresholdsChange, type WhatIfSummary } from '@medic/domain';
import { parseCommandArgs } from './cli-args';
import { CliError, shown } from './cli-config';

const USAGE =
  'usage: medic replay recalibrate [--minimal N] [--low N] [--medium N] [--high N] [--max-risk-level minimal|low|medium|high] [--min-confidence N] [--changes N] [--json]';

export interface RecalibrateArgs {
  readonly change: ThresholdsChange;
  /** How many of the kills decided differently to list. */
  readonly changes: number;
  readonly json: boolean;
}

function number(option: string, text: string): number {
  const n = Number(text);
  if (text.trim() === '' || !Number.isFinite(n)) throw new CliError(`--${option} must be a number, got "${shown(text)}"\n${USAGE}`, 2);
  return n;
}

/** A risk bound lies strictly between 0 and 1; a confidence from 0 to 1. */
function fraction(option: string, text: string, open: boolean): number {
  const n = number(option, text);
  if (open ? n <= 0 || n >= 1 : n < 0 || n > 1) throw new CliError(`--${option} must be ${open ? 'between 0 and 1 (both excluded)' : 'from 0 to 1'}, got ${text}\n${USAGE}`, 2);
  return n;
}

/** What to re-decide the log's kills under: the thresholds in force, with the options given over them. */
export function parseRecalibrateArgs(args: readonly string[]): RecalibrateArgs {
  const { values } = parseCommandArgs(args, {
    usage: USAGE,
    options: {
      minimal: { type: 'string' },
      low: { type: 'string' },
      medium: { type: 'string' },
      high: { type: 'string' },
      'max-risk-level': { type: 'string' },
      'min-confidence': { type: 'string' },
      changes: { type: 'string' },
      json: { type: 'boolean' },
    },
    expects: { 'max-risk-level': `one of ${AUTO_APPROVABLE_LEVELS.join(', ')}` },
  });
  const bounds: Partial<Record<(typeof THRESHOLD_BOUNDS)[number], number>> = {};
  for (const bound of THRESHOLD_BOUNDS) {
    const v = values[bound];
    if (v !== undefined) bounds[bound] = fraction(bound, v, true);
  }
  const level = values['max-risk-level'];
  if (level !== undefined && !(AUTO_APPROVABLE_LEVELS as readonly string[]).includes(level)) throw new CliError(`--max-risk-level must be one of ${AUTO_APPROVABLE_LEVELS.join(', ')}, got "${shown(level)}"\n${USAGE}`, 2);
  const changes = values.changes === undefined ? 20 : number('changes', values.changes);
  if (!Number.isInteger(changes) || changes < 0) throw new CliError(`--changes must be a whole number from 0, got "${shown(values.changes ?? String(changes))}"\n${USAGE}`, 2);
  return {
    change: {
      ...(Object.keys(bounds).length > 0 ? { thresholds: bounds } : {}),
      ...(level !== undefined ? { maxRiskLevel: level as RiskLevel } : {}),
      ...(values['min-confidence'] !== undefined ? { minConfidence: fraction('min-confidence', values['min-confidence'], false) } : {}),
    },
    changes,
    json: values.json ?? false,
  };
}

/** The thresholds to re-decide under; a set that could not hold is a usage error naming what is wrong. */
export function whatIfThresholds(inForce: DecisionThresholds, change: ThresholdsChange): DecisionThresholds {
  const next = changedThresholds(inForce, change);
  const problems = thresholdsProblems(next);
  if (problems.length > 0) throw new CliError(`these thresholds cannot hold: ${problems.map((p) => `${optionNamed(p.field, change)} ${p.message}`).join('; ')}`, 2);
  return next;
}

/** The option a problem is about, or, for a value the user did not give, that it is the one in force. */
function optionNamed(field: string, change: ThresholdsChange): string {
  const name = field.replace('thresholds.', '');
  const given = name === 'max_risk_level' ? change.maxRiskLevel : name === 'min_confidence' ? change.minConfidence : change.thresholds?.[name as (typeof THRESHOLD_BOUNDS)[number]];
  return given === undefined ? `${name} (in force, not given)` : `--${name.replaceAll('_', '-')}`;
}

const describe = (t: DecisionThresholds) =>
  `risk levels minimal < ${t.thresholds.minimal} ≤ low < ${t.thresholds.low} ≤ medium < ${t.thresholds.medium} ≤ high < ${t.thresholds.high} ≤ critical; auto-approve up to ${t.maxRiskLevel} at confidence ≥ ${t.minConfidence}`;
const pct = (r: number | null) => (r === null ? 'n/a' : `${(r * 100).toFixed(1)} %`);

/** The what-if as an operator reads it: outcomes side by side, how auto-approvals turned out, and the kills decided differently. */
export function formatWhatIf(s: WhatIfSummary, inForce: DecisionThresholds, inForceFrom: string, listed: number): string {
  const lines = [
    `Re-deciding ${s.decided - s.not_re_decided} of ${s.decided} decided kills from the log`,
    `  in force (${inForceFrom}): ${describe(inForce)}`,
    `  what-if:            ${describe(s.thresholds)}`,
    '',
    `  ${'outcome'.padEnd(16)}${'decided'.padStart(9)}${'what-if'.padStart(9)}`,
    ...Object.keys(s.by_outcome.recorded).map((o) => `  ${o.padEnd(16)}${String(s.by_outcome.recorded[o as keyof typeof s.by_outcome.recorded]).padStart(9)}${String(s.by_outcome.what_if[o as keyof typeof s.by_outcome.what_if]).padStart(9)}`),
    '',
    'Auto-approvals and how their resurrections turned out (stayed up: success or partial; went wrong: re-killed or rolled back):',
  ];
  for (const [side, r] of [['decided', s.auto_approvals.recorded], ['what-if', s.auto_approvals.what_if]] as const) {
    lines.push(`  ${side.padEnd(8)} ${r.auto_approved} auto-approved, ${r.with_outcome} with an outcome: ${r.stayed_up} stayed up, ${r.went_wrong} went wrong (success rate ${pct(r.success_rate)})`);
  }
  if (s.observed > 0) lines.push(`  ${s.observed === 1 ? '1 kill was' : `${s.observed} kills were`} decided in observer mode: nothing was brought back, so ${s.observed === 1 ? 'it is' : 'they are'} left out of these figures`);
  const newly = s.newly_auto_approved_without_outcome;
  if (newly > 0) lines.push(`  ${newly === 1 ? '1 kill the what-if would auto-approve was' : `${newly} kills the what-if would auto-approve were`} never brought back: how ${newly === 1 ? 'it' : 'they'} would have turned out is unknown`);
  if (s.not_re_decided > 0) lines.push(`  ${s.not_re_decided === 1 ? '1 decision was' : `${s.not_re_decided} decisions were`} made before ${s.not_re_decided === 1 ? 'its grounds were' : 'their grounds were'} kept and ${s.not_re_decided === 1 ? 'is' : 'are'} left out`);
  lines.push('', `Decided differently: ${s.changed.length}${s.changed.length > listed ? ` (the first ${listed})` : ''}`);
  for (const c of s.changed.slice(0, listed)) {
    lines.push(
      `  ${c.killId}  ${c.module}  score ${c.score}: ${c.recorded.outcome} (${c.recorded.riskLevel}, confidence ${c.recorded.confidence}) → ${c.whatIf.outcome} (${c.whatIf.riskLevel}, confidence ${c.whatIf.confidence})${c.result === null ? '' : `; outcome ${c.result}`}`,
    );
  }
  return lines.join('\n');
}

const thresholdsJson = (t: DecisionThresholds) => ({ thresholds: t.thresholds, max_risk_level: t.maxRiskLevel, min_confidence: t.minConfidence });
const verdictJson = (v: ReDecision['recorded']) => ({ outcome: v.outcome, risk_level: v.riskLevel, confidence: v.confidence });

/** The what-if for `--json`: every key snake_case, as in Medic's REST answers; the first `listed` kills decided otherwise. */
export function whatIfJson(s: WhatIfSummary, inForce: DecisionThresholds, inForceFrom: string, listed: number): Record<string, unknown> {
  return {
    in_force: { ...thresholdsJson(inForce), from: inForceFrom },
    what_if: thresholdsJson(s.thresholds),
    decided: s.decided,
    not_re_decided: s.not_re_decided,
    observed: s.observed,
    by_outcome: s.by_outcome,
    auto_approvals: s.auto_approvals,
    newly_auto_approved_without_outcome: s.newly_auto_approved_without_outcome,
    changed_total: s.changed.length,
    changed: s.changed.slice(0, listed).map((c) => ({
      kill_id: c.killId,
      module: c.module,
      score: c.score,
      recorded: verdictJson(c.recorded),
      what_if: verdictJson(c.whatIf),
      result: c.result,
      observed: c.observed,
    })),
  };
}
