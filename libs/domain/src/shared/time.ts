import { DomainError } from './errors';

/*
 * Instants are ISO-8601 strings in UTC. The clock never enters the domain:
 * these helpers only parse and shift instants handed in by the caller.
 */

// Date and time with seconds and an explicit zone; a zone-less timestamp is
// ambiguous (whose local time?), so it is refused.
const ISO_WITH_ZONE =
  /^(\d{4}-\d{2}-\d{2})[Tt](\d{2}:\d{2}:\d{2})(?:[.,](\d{1,9}))?(?:([Zz])|([+-])(\d{2})(?::?(\d{2}))?)$/;

const MS_PER_MINUTE = 60_000;

/** Milliseconds since the epoch for an ISO-8601 timestamp with a zone, or null when it is not one. */
export function parseInstant(text: string): number | null {
  const match = ISO_WITH_ZONE.exec(text);
  if (match === null) return null;
  const [, date, time, fraction = '', zulu, sign, offsetHours = '00', offsetMinutes = '00'] = match;
  const canonical = `${date}T${time}.${fraction.padEnd(3, '0').slice(0, 3)}Z`;
  const utc = Date.parse(canonical);
  // Date.parse rolls 2026-02-30 over into March; the round trip catches that.
  if (Number.isNaN(utc) || new Date(utc).toISOString() !== canonical) return null;
  if (zulu !== undefined) return utc;
  const hours = Number(offsetHours);
  const minutes = Number(offsetMinutes);
  if (hours > 23 || minutes > 59) return null;
  const direction = sign === '-' ? -1 : 1;
  return utc - direction * (hours * 60 + minutes) * MS_PER_MINUTE;
}

/** The canonical UTC form (`2026-02-11T12:00:00.000Z`) of an instant in milliseconds. */
export function formatInstant(ms: number): string {
  return new Date(ms).toISOString();
}

/** Rewrites an ISO-8601 timestamp with a zone into the canonical UTC form, or null when it is not one. */
export function normalizeInstant(text: string): string | null {
  const ms = parseInstant(text);
  return ms === null ? null : formatInstant(ms);
}

export function addMinutes(instant: string, minutes: number): string {
  return addMilliseconds(instant, minutes * MS_PER_MINUTE);
}

export function addMilliseconds(instant: string, ms: number): string {
  return formatInstant(requireInstant(instant) + ms);
}

export function addHours(instant: string, hours: number): string {
  return addMinutes(instant, hours * 60);
}

/** Negative when a is before b, zero when equal, positive when after. */
export function compareInstants(a: string, b: string): number {
  return requireInstant(a) - requireInstant(b);
}

/** Seconds from one instant to another, to the millisecond. */
export function secondsBetween(from: string, to: string): number {
  return compareInstants(to, from) / 1000;
}

/** Milliseconds since the epoch of an instant that must be one (DomainError invalid_instant otherwise). */
export function requireInstant(instant: string): number {
  const ms = parseInstant(instant);
  if (ms === null) throw new DomainError('invalid_instant', `"${instant}" is not an ISO-8601 timestamp with a zone`);
  return ms;
}
