import type { DecisionThresholds, WhatIfSummary } from '@medic/domain';
import { CliError } from './cli-config';
import { formatWhatIf, whatIfJson, parseRecalibrateArgs, whatIfThresholds } from './recalibrate';

const inForce: DecisionThresholds = { thresholds: { minimal: 0.2, low: 0.4, medium: 0.6, high: 0.8 }, maxRiskLevel: 'low', minConfidence: 0.85 };

function failure(run: () => unknown): { code: number; message: string } {
  try {
    run();
  } catch (error) {
    if (error instanceof CliError) return { code: error.exitCode, message: error.message };
  }
  throw new Error('no usage error');
}

describe('medic replay recalibrate arguments', () => {
  it('takes any of the thresholds, the auto-approval limits, how many changes to list and --json', () => {
    expect(parseRecalibrateArgs([])).toEqual({ change: {}, changes: 20, json: false });
    expect(parseRecalibrateArgs(['--low', '0.3', '--high', '0.85', '--max-risk-level', 'medium', '--min-confidence', '0.7', '--changes', '5', '--json'])).toEqual({
      change: { thresholds: { low: 0.3, high: 0.85 }, maxRiskLevel: 'medium', minConfidence: 0.7 },
      changes: 5,
      json: true,
    });
  });

  it('refuses what is not a number, a level that is not one, and a negative count, with exit code 2', () => {
    expect(failure(() => parseRecalibrateArgs(['--low', 'lots']))).toMatchObject({ code: 2, message: expect.stringMatching(/^--low must be a number, got "lots"\nusage: medic replay recalibrate/) as unknown });
    expect(failure(() => parseRecalibrateArgs(['--max-risk-level', 'extreme'])).message).toMatch(/^--max-risk-level must be one of minimal, low, medium, high/);
    expect(failure(() => parseRecalibrateArgs(['--changes', '-1'])).message).toMatch(/^--changes must be a whole number/);
    expect(failure(() => parseRecalibrateArgs(['--changes', '2.5'])).message).toMatch(/^--changes must be a whole number from 0, got "2.5"\n/);
    expect(failure(() => parseRecalibrateArgs(['--low', `0.${'9'.repeat(400)}x`])).message).toMatch(new RegExp(`^--low must be a number, got "0\\.${'9'.repeat(126)}…"\n`));
    expect(failure(() => parseRecalibrateArgs(['--bogus'])).code).toBe(2);
    // Out of range is refused before the log is read.
    expect(failure(() => parseRecalibrateArgs(['--low', '2']))).toMatchObject({ code: 2, message: expect.stringMatching(/^--low must be between 0 and 1 \(both excluded\), got 2\n/) as unknown });
    expect(failure(() => parseRecalibrateArgs(['--minimal', '0'])).message).toMatch(/^--minimal must be between 0 and 1/);
    expect(failure(() => parseRecalibrateArgs(['--min-confidence', '1.5'])).message).toMatch(/^--min-confidence must be from 0 to 1, got 1.5/);
    expect(parseRecalibrateArgs(['--min-confidence', '0']).change).toEqual({ minConfidence: 0 });
  });

  it('puts the options over the thresholds in force, and refuses a set that cannot hold', () => {
    expect(whatIfThresholds(inForce, { thresholds: { low: 0.3 }, minConfidence: 0.8 })).toEqual({ thresholds: { minimal: 0.2, low: 0.3, medium: 0.6, high: 0.8 }, maxRiskLevel: 'low', minConfidence: 0.8 });
    expect(failure(() => whatIfThresholds(inForce, { thresholds: { low: 0.7 } }))).toEqual({ code: 2, message: 'these thresholds cannot hold: medium (in force, not given) must be greater than thresholds.low (0.7), got 0.6' });
    expect(failure(() => whatIfThresholds(inForce, { thresholds: { low: 0.5, medium: 0.45 } })).message).toBe('these thresholds cannot hold: --medium must be greater than thresholds.low (0.5), got 0.45');
    expect(failure(() => whatIfThresholds(inForce, { maxRiskLevel: 'critical' })).message).toMatch(/--max-risk-level must be one of minimal, low, medium, high \(critical is always denied\)/);
  });
});

describe('the what-if as an operator reads it', () => {
  const none = { approve_auto: 0, approve_manual: 0, pending_review: 0, deny: 0, defer: 0 };
  const record = { auto_approved: 0, with_outcome: 0, stayed_up: 0, went_wrong: 0, success_rate: null };
  const summary = (newly: number, old: number, observed = 0): WhatIfSummary => ({
    thresholds: inForce,
    decided: 3,
    not_re_decided: old,
    by_outcome: { recorded: none, what_if: none },
    auto_approvals: { recorded: record, what_if: record },
    observed,
    newly_auto_approved_without_outcome: newly,
    changed: [],
  });

  it('counts one kill as one and several as several', () => {
    const one = formatWhatIf(summary(1, 1), inForce, 'the configuration', 20);
    expect(one).toContain('  1 kill the what-if would auto-approve was never brought back: how it would have turned out is unknown');
    expect(one).toContain('  1 decision was made before its grounds were kept and is left out');
    const two = formatWhatIf(summary(2, 2), inForce, 'the configuration', 20);
    expect(two).toContain('  2 kills the what-if would auto-approve were never brought back: how they would have turned out is unknown');
    expect(two).toContain('  2 decisions were made before their grounds were kept and are left out');
    expect(one).not.toContain('observer mode');
    expect(formatWhatIf(summary(0, 0, 2), inForce, 'the configuration', 20)).toContain('  2 kills were decided in observer mode: nothing was brought back, so they are left out of these figures');
  });

  it('gives --json with every key snake_case, the kills decided otherwise up to the number asked for', () => {
    const changed = { killId: 'k1', module: 'web', score: 0.3, recorded: { outcome: 'pending_review', riskLevel: 'medium', confidence: 0.7 }, whatIf: { outcome: 'approve_auto', riskLevel: 'low', confidence: 0.8 }, result: null, observed: false } as const;
    const json = whatIfJson({ ...summary(1, 0), changed: [changed, { ...changed, killId: 'k2' }] }, inForce, 'the configuration', 1);
    const keys = (v: unknown): string[] => (typeof v !== 'object' || v === null ? [] : Object.entries(v).flatMap(([k, inner]) => [k, ...keys(inner)]));
    expect(keys(json).filter((k) => /[A-Z]/.test(k))).toEqual([]);
    expect(json).toMatchObject({ in_force: { min_confidence: inForce.minConfidence, max_risk_level: inForce.maxRiskLevel, from: 'the configuration' }, changed_total: 2 });
    expect(json['changed']).toEqual([{ kill_id: 'k1', module: 'web', score: 0.3, recorded: { outcome: 'pending_review', risk_level: 'medium', confidence: 0.7 }, what_if: { outcome: 'approve_auto', risk_level: 'low', confidence: 0.8 }, result: null, observed: false }]);
  });
});
