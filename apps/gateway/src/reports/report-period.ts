import { calendarDay } from '../http/calendar';
import { ApiError } from '@medic/eventlog';

export type ReportKind = 'daily' | 'weekly';

/** What a report covers: whole UTC days, `from` included, `until` not; and the period just before it, for the trend. */
export interface ReportPeriod {
  readonly kind: ReportKind;
  readonly from: Date;
  readonly until: Date;
  readonly previous: { readonly from: Date; readonly until: Date };
  /** Each day of the period, as YYYY-MM-DD. */
  readonly days: readonly string[];
}

const DAY_MS = 86_400_000;
/** The days a report may be asked for: its period, and the one before it, must fall within what the API's times hold. */
const FIRST_DAY = '1970-01-01';
const LAST_DAY = '9998-12-31';

function bad(field: string, message: string): ApiError {
  return new ApiError(400, 'validation_error', `${field}: ${message}`, field);
}

/** A calendar date as given (YYYY-MM-DD, a day that exists, from FIRST_DAY to LAST_DAY), at 00:00 UTC. */
function dayOf(text: string): Date {
  const at = calendarDay(text);
  if (at === null) throw bad('date', `must be a date as YYYY-MM-DD, got "${text.slice(0, 40)}"`);
  if (text < FIRST_DAY || text > LAST_DAY) throw bad('date', `must be a day from ${FIRST_DAY} to ${LAST_DAY}, got "${text}"`);
  return new Date(at);
}

/**
 * The period of a daily report (the UTC day of `date`) or a weekly one (the
 * ISO week, Monday to Sunday UTC, that holds `date`); `date` defaults to
 * today. Only `date` may be asked for.
 */
export function parseReportPeriod(kind: ReportKind, query: Record<string, unknown>, now: Date): ReportPeriod {
  for (const key of Object.keys(query)) if (key !== 'date') throw bad(key, 'unknown query parameter; use date (YYYY-MM-DD)');
  const given = query['date'];
  if (given !== undefined && typeof given !== 'string') throw bad('date', 'must be given once');
  const day = given === undefined ? new Date(Math.floor(now.getTime() / DAY_MS) * DAY_MS) : dayOf(given);
  // getUTCDay: Sunday 0; an ISO week starts on Monday.
  const from = kind === 'daily' ? day : new Date(day.getTime() - ((day.getUTCDay() + 6) % 7) * DAY_MS);
  const length = kind === 'daily' ? DAY_MS : 7 * DAY_MS;
  const until = new Date(from.getTime() + length);
  return {
    kind,
    from,
    until,
    previous: { from: new Date(from.getTime() - length), until: from },
    days: Array.from({ length: length / DAY_MS }, (_, i) => new Date(from.getTime() + i * DAY_MS).toISOString().slice(0, 10)),
  };
}
