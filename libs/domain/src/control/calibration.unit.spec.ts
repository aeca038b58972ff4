import type { OutcomeResult } from '@medic/domain';
import { calibrate } from './calibration';
import { thresholdsSetBy, type DecisionThresholds } from './decision-thresholds';

const inForce: DecisionThresholds = { thresholds: { minimal: 0.2, low: 0.4, medium: 0.6, high: 0.8 }, maxRiskLevel: 'low', minConfidence: 0.85 };
const settings = { minSamples: 10, maxAdjustmentPercent: 10 };
const at = '2026-12-02T12:00:00.000Z';
const results = (up: number, wrong: number, failed = 0): OutcomeResult[] => [
  ...Array<OutcomeResult>(up).fill('success'),
  ...Array<OutcomeResult>(wrong).fill('re_killed'),
  ...Array<OutcomeResult>(failed).fill('failure'),
];

describe('calibrating the reach of auto-approval from the outcomes of auto-approvals', () => {
  it('moves nothing with fewer telling outcomes than the minimum (failed starts tell nothing)', () => {
    expect(calibrate(results(9, 0, 5), inForce, settings, at, null)).toBeNull();
    expect(calibrate([], inForce, { ...settings, minSamples: 0 }, at, null)).toBeNull();
  });

  it('raises the top of the highest auto-approvable level by at most the adjustment when 95 % or more stayed up', () => {
    const raised = calibrate(results(19, 1), inForce, settings, at, '2026-12-01T00:00:00.000Z')!;
    expect(raised).toMatchObject({ type: 'ThresholdsRecalibrated', actor: 'learning', previousMaxAutoScore: 0.4, newMaxAutoScore: 0.44, samples: 20, maxRiskLevel: 'low', minConfidence: 0.85 });
    expect(raised.thresholds).toEqual({ minimal: 0.2, low: 0.44, medium: 0.6, high: 0.8 });
    expect(raised.evidence[0]).toBe('20 auto-approved resurrections with an outcome since 2026-12-01T00:00:00.000Z: 19 stayed up, 1 went wrong (success rate 95 %)');
  });

  it('lowers it when fewer than 80 % stayed up, and leaves it between 80 and 95 %', () => {
    expect(calibrate(results(7, 3), inForce, settings, at, null)).toMatchObject({ previousMaxAutoScore: 0.4, newMaxAutoScore: 0.36 });
    expect(calibrate(results(9, 1), inForce, settings, at, null)).toBeNull();
    expect(calibrate(results(8, 2), inForce, settings, at, null)).toBeNull();
  });

  it('never moves a bound past the ones beside it, and moves nothing when there is no room', () => {
    const tight: DecisionThresholds = { ...inForce, thresholds: { minimal: 0.2, low: 0.4, medium: 0.42, high: 0.8 } };
    expect(calibrate(results(10, 0), tight, settings, at, null)).toMatchObject({ newMaxAutoScore: 0.41 });
    const none: DecisionThresholds = { ...inForce, thresholds: { minimal: 0.2, low: 0.4, medium: 0.41, high: 0.8 } };
    expect(calibrate(results(10, 0), none, settings, at, null)).toBeNull();
    expect(calibrate(results(0, 10), { ...inForce, thresholds: { minimal: 0.39, low: 0.4, medium: 0.6, high: 0.8 } }, settings, at, null)).toBeNull();
  });

  it('sets, as an update, the whole set it carries; one without the set sets nothing', () => {
    const raised = calibrate(results(20, 0), inForce, settings, at, null)!;
    expect(thresholdsSetBy(raised)).toEqual({
      type: 'ThresholdsUpdated',
      at,
      actor: 'learning',
      reason: `recalibrated from 20 outcomes: 0.4 → 0.44; ${raised.evidence.join('; ')}`,
      thresholds: { minimal: 0.2, low: 0.44, medium: 0.6, high: 0.8 },
      maxRiskLevel: 'low',
      minConfidence: 0.85,
    });
    expect(thresholdsSetBy({ ...raised, thresholds: null })).toBeNull();
  });
});
