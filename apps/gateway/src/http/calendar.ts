/*
 * Dates and times the API reads from a query: ISO-8601 with a four-digit
 * year, checked against the calendar (2026-02-30 is refused, not read as
 * 2026-03-02), and within what Postgres and ISO-8601 strings both hold.
 */

/** The first and last instants the API takes (years 0001 to 9999, UTC). */
export const FIRST_INSTANT = Date.parse('0001-01-01T00:00:00.000Z');
export const LAST_INSTANT = Date.parse('9999-12-31T23:59:59.999Z');

const DAY = /^(\d{4})-(\d{2})-(\d{2})$/;
const TIME = /^(\d{4}-\d{2}-\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(\.\d{1,9})?)?(Z|[+-](\d{2}):?(\d{2}))?)?$/;

/** A day of the calendar as YYYY-MM-DD (years 0001–9999), at 00:00 UTC in ms; null when it is not one. */
export function calendarDay(text: string): number | null {
  const m = DAY.exec(text);
  if (m === null || Number(m[1]) === 0) return null;
  const at = Date.parse(`${text}T00:00:00.000Z`);
  return Number.isNaN(at) || new Date(at).toISOString().slice(0, 10) !== text ? null : at;
}

/**
 * An ISO-8601 date (00:00 UTC) or date and time, with an offset or `Z`; a
 * time without one is UTC. Null when it is not one, names a day or an hour
 * that does not exist, or lies outside the years 0001–9999.
 */
export function isoInstant(text: string): number | null {
  const m = TIME.exec(text);
  if (m === null || calendarDay(m[1]!) === null) return null;
  const [hours, minutes, seconds, offsetHours, offsetMinutes] = [m[2], m[3], m[4], m[7], m[8]].map((v) => (v === undefined ? 0 : Number(v)));
  if (hours! > 23 || minutes! > 59 || seconds! > 59 || offsetHours! > 23 || offsetMinutes! > 59) return null;
  const at = Date.parse(m[2] !== undefined && m[6] === undefined ? `${text}Z` : text);
  return Number.isNaN(at) || at < FIRST_INSTANT || at > LAST_INSTANT ? null : at;
}
