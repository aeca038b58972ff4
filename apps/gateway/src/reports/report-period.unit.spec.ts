import { ApiError } from '@medic/eventlog';
import { parseReportPeriod } from './report-period';

const now = new Date('2026-12-02T10:31:00Z'); // a Wednesday

function refusal(run: () => unknown): { field: string | undefined; message: string } {
  try {
    run();
  } catch (error) {
    if (error instanceof ApiError) return { field: error.field, message: error.message };
  }
  throw new Error('not refused');
}

describe('the period of a report', () => {
  it('is the UTC day of the date, today by default, with the day before as the previous one', () => {
    const today = parseReportPeriod('daily', {}, now);
    expect([today.from.toISOString(), today.until.toISOString()]).toEqual(['2026-12-02T00:00:00.000Z', '2026-12-03T00:00:00.000Z']);
    expect(today.previous).toEqual({ from: new Date('2026-12-01T00:00:00Z'), until: new Date('2026-12-02T00:00:00Z') });
    expect(today.days).toEqual(['2026-12-02']);
    expect(parseReportPeriod('daily', { date: '2024-02-29' }, now).from.toISOString()).toBe('2024-02-29T00:00:00.000Z');
  });

  it('is the ISO week (Monday to Sunday, UTC) that holds the date for a weekly one', () => {
    const week = parseReportPeriod('weekly', {}, now);
    expect([week.from.toISOString(), week.until.toISOString()]).toEqual(['2026-11-30T00:00:00.000Z', '2026-12-07T00:00:00.000Z']);
    expect(week.days).toEqual(['2026-11-30', '2026-12-01', '2026-12-02', '2026-12-03', '2026-12-04', '2026-12-05', '2026-12-06']);
    expect(week.previous.from.toISOString()).toBe('2026-11-23T00:00:00.000Z');
    // A Sunday belongs to the week that began the Monday before; a Monday starts its own.
    expect(parseReportPeriod('weekly', { date: '2026-12-06' }, now).from.toISOString()).toBe('2026-11-30T00:00:00.000Z');
    expect(parseReportPeriod('weekly', { date: '2026-12-07' }, now).from.toISOString()).toBe('2026-12-07T00:00:00.000Z');
  });

  it('refuses a date that is not one, a date given twice and any other parameter, naming it', () => {
    expect(refusal(() => parseReportPeriod('daily', { date: '2026-02-30' }, now))).toEqual({ field: 'date', message: 'date: must be a date as YYYY-MM-DD, got "2026-02-30"' });
    expect(refusal(() => parseReportPeriod('daily', { date: '2026-2-3' }, now)).field).toBe('date');
    // Years below 100 are years, not 1900 onwards; the period and the one before it stay within the API's years.
    expect(refusal(() => parseReportPeriod('daily', { date: '0099-01-01' }, now))).toEqual({ field: 'date', message: 'date: must be a day from 1970-01-01 to 9998-12-31, got "0099-01-01"' });
    expect(refusal(() => parseReportPeriod('weekly', { date: '9999-12-31' }, now)).message).toBe('date: must be a day from 1970-01-01 to 9998-12-31, got "9999-12-31"');
    expect(parseReportPeriod('weekly', { date: '9998-12-31' }, now).until.toISOString()).toBe('9999-01-04T00:00:00.000Z');
    expect(refusal(() => parseReportPeriod('daily', { date: 'yesterday' }, now)).field).toBe('date');
    expect(refusal(() => parseReportPeriod('weekly', { date: ['2026-12-01', '2026-12-02'] }, now))).toEqual({ field: 'date', message: 'date: must be given once' });
    expect(refusal(() => parseReportPeriod('weekly', { week: '49' }, now))).toEqual({ field: 'week', message: 'week: unknown query parameter; use date (YYYY-MM-DD)' });
  });
});
