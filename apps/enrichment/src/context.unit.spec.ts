import { SAMPLE_EVENTS } from '../../../libs/domain/test/kill-event-samples';
import { contextEnriched, windowOf } from './context';

const reported = SAMPLE_EVENTS.KillReported;
const indicator = (threatScore: number) => ({ indicatorType: 'ip', value: '10.0.0.9', threatScore, source: 'intel', lastSeen: '2026-02-10T07:00:00.000Z', tags: [] });

describe('the SIEM context of a kill', () => {
  it('aggregates what the SIEM answered and recommends from it', () => {
    const event = contextEnriched(
      reported,
      { ok: true, value: { killId: 'demo-1', indicators: [indicator(0.5), indicator(0.5)], falsePositives: 2, historicalBehavior: { events_in_window: 4 }, networkContext: {}, userContext: null, ignored: ['x: bad'] } },
      'q-1',
      '2026-02-11T12:00:01.000Z',
    );
    expect(event).toMatchObject({ type: 'ContextEnriched', siemStatus: 'used', riskScore: 0.75, falsePositiveHistory: 2, queryId: 'q-1', failureReason: null, ignoredFields: ['x: bad'] });
    expect(event.recommendation).toMatch(/^review/);
  });

  it('says why there is no context when the SIEM could not answer', () => {
    const event = contextEnriched(reported, { ok: false, reason: 'the elasticsearch circuit breaker is open' }, 'q-2', '2026-02-11T12:00:01.000Z');
    expect(event).toMatchObject({ siemStatus: 'unavailable', riskScore: 0, threatIndicators: [], failureReason: 'the elasticsearch circuit breaker is open' });
  });

  it('searches the days before the kill, up to it', () => {
    expect(windowOf({ ...reported, at: '2026-02-11T12:00:01.000Z', report: { ...reported.report, timestamp: '2026-02-11T12:00:00.000Z' } }, 30)).toEqual({ from: '2026-01-12T12:00:00.000Z', to: '2026-02-11T12:00:00.000Z' });
  });

  it('searches up to the receipt a kill stamped later than Medic received it', () => {
    const at = '2026-02-11T12:00:01.000Z';
    for (const timestamp of ['2026-02-11T18:00:00.000Z', '9999-12-31T23:59:59.000Z']) {
      expect(windowOf({ ...reported, at, report: { ...reported.report, timestamp } }, 30)).toEqual({ from: '2026-01-12T12:00:01.000Z', to: at });
    }
  });
});
