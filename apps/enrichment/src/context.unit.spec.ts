import { SAMPLE_EVENTS } from '../../../libs/domain/test/kill-event-samples';
import { contextEnriched, windowOf } from './context';

const reported = SAMPLE_EVENTS.KillReported;
const indicator = (threatScore: number, value = '10.0.0.9') => ({ indicatorType: 'ip', value, threatScore, source: 'intel', lastSeen: '2026-02-10T07:00:00.000Z', tags: [] });

describe('the SIEM context of a kill', () => {
  it('aggregates what the SIEM answered and recommends from it', () => {
    const event = contextEnriched(
      reported,
      { ok: true, value: { killId: 'demo-1', failed: null, indicators: [indicator(0.5), indicator(0.5, '10.0.0.10')], falsePositives: 2, historicalBehavior: { events_in_window: 4 }, networkContext: {}, userContext: null, ignored: ['x: bad'], unusableIndicators: 0 } },
      'q-1',
      '2026-02-11T12:00:01.000Z',
    );
    expect(event).toMatchObject({ type: 'ContextEnriched', siemStatus: 'used', riskScore: 0.75, falsePositiveHistory: 2, queryId: 'q-1', failureReason: null, ignoredFields: ['x: bad'] });
    expect(event.recommendation).toMatch(/^review/);
  });

  it('takes an answer with a failed search for no answer: a clean record is what it would otherwise say', () => {
    const failed = 'indicators: its search failed: cannot sort on a field of different types';
    const event = contextEnriched(
      reported,
      { ok: true, value: { killId: 'demo-1', failed, indicators: [], falsePositives: 0, historicalBehavior: {}, networkContext: {}, userContext: null, ignored: [failed], unusableIndicators: 0 } },
      'q-3',
      '2026-02-11T12:00:01.000Z',
    );
    expect(event).toMatchObject({ siemStatus: 'unavailable', threatIndicators: [], failureReason: `the SIEM answered only in part (${failed})` });
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
