import { normalizeInstant } from '../shared/time';
import { plural } from '../shared/wording';
import { killIdProblem, moduleNameProblem } from './identifiers';
import type { KillReportLimits } from './kill-report-limits';
import { kindOf, quote, reject, rejectUnstorable } from './validation-failure';

/*
 * Readers for the fields of a kill report. Each takes the raw JSON value and
 * the wire path of the field, returns the typed value, or rejects with a
 * reason that names the field.
 */

export function readString(value: unknown, field: string): string {
  if (typeof value !== 'string') return reject('invalid_field', field, `${field} must be a string, got ${kindOf(value)}`);
  return value;
}

export function readKillId(value: unknown, field: string, limits: KillReportLimits): string {
  const id = readString(value, field);
  const problem = killIdProblem(id, limits.maxKillIdLength);
  if (problem !== null) reject('invalid_field', field, `${field} ${quote(id)} ${problem}`);
  return id;
}

export function readModuleName(value: unknown, field: string, limits: KillReportLimits): string {
  const name = readString(value, field);
  const problem = moduleNameProblem(name, limits.maxModuleNameLength);
  if (problem !== null) reject('invalid_field', field, `${field} ${quote(name)} ${problem}`);
  return name;
}

/** The instants a report may name: from the Unix epoch to the end of year 9999, which every store and client of Medic's can hold. */
const EARLIEST = Date.UTC(1970, 0, 1);
const LATEST = Date.UTC(9999, 11, 31, 23, 59, 59, 999);

/** An ISO-8601 timestamp with a zone, rewritten in UTC, from 1970 to 9999. */
export function readTimestamp(value: unknown, field: string): string {
  const text = readString(value, field);
  const instant = normalizeInstant(text);
  if (instant === null) {
    reject('invalid_field', field, `${field} ${quote(text)} is not an ISO-8601 date-time with a timezone (e.g. "2026-02-11T12:00:00Z")`);
  }
  const ms = Date.parse(instant);
  // Year 0000 and offsets across the ends of the range would be read, and then refused by the database.
  if (!(ms >= EARLIEST && ms <= LATEST)) reject('invalid_field', field, `${field} ${quote(text)} is ${instant} in UTC, outside the years 1970 to 9999`);
  return instant;
}

/**
 * A kill's time, no later than `receivedAt` plus the clock skew allowed: a
 * report is sent after the kill, so a later time is a wrong clock or a forgery,
 * and would make the kill look recent for as long as it is kept.
 */
export function readKillTime(value: unknown, field: string, receivedAt: string | null, maxAheadMs: number): string {
  const instant = readTimestamp(value, field);
  if (receivedAt === null) return instant;
  const ahead = Date.parse(instant) - Date.parse(receivedAt);
  if (ahead > maxAheadMs) {
    reject(
      'invalid_field',
      field,
      `${field} ${instant} is ${spanOf(ahead)} after the report was received (${receivedAt}); a kill is reported after it happens, and a clock may run at most ${spanOf(maxAheadMs)} ahead`,
    );
  }
  return instant;
}

/** A span in its largest unit and the next one down ("5 minutes 59 seconds"), so that one just over a limit does not read as the limit. */
function spanOf(ms: number): string {
  const units: [string, number][] = [['year', 365 * 86_400_000], ['day', 86_400_000], ['hour', 3_600_000], ['minute', 60_000], ['second', 1000]];
  for (const [i, [unit, size]] of units.entries()) {
    const n = Math.floor(ms / size);
    if (n < 1) continue;
    const next = units[i + 1];
    const rest = next === undefined ? 0 : Math.floor((ms - n * size) / next[1]);
    return rest > 0 ? `${plural(n, unit)} ${plural(rest, next![0])}` : plural(n, unit);
  }
  return plural(Math.round(ms), 'millisecond');
}

/** One of the allowed values, exactly: "HIGH" is refused rather than guessed at. */
export function readEnum<T extends string>(value: unknown, field: string, allowed: readonly T[]): T {
  const text = readString(value, field);
  const match = allowed.find((candidate) => candidate === text);
  if (match === undefined) reject('invalid_field', field, `${field} ${quote(text)} is not one of ${allowed.join(', ')}`);
  return match;
}

/** A probability: a finite number in [0, 1]. */
export function readScore(value: unknown, field: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    const got = typeof value === 'number' ? `${value} (a number too large for JSON's range)` : kindOf(value);
    return reject('invalid_field', field, `${field} must be a finite number, got ${got}`);
  }
  if (value < 0 || value > 1) reject('invalid_field', field, `${field} is ${value}, outside the range 0 to 1`);
  return value;
}

export function readEvidence(value: unknown, field: string, limits: KillReportLimits): string[] {
  return readList(value, field, limits.maxEvidenceItems, (item, path) => {
    const text = readString(item, path);
    if (text.length > limits.maxEvidenceLength) {
      reject('invalid_field', path, `${path} is longer than ${limits.maxEvidenceLength} characters`);
    }
    rejectUnstorable(text, path);
    return text;
  });
}

export function readDependencies(value: unknown, field: string, limits: KillReportLimits): string[] {
  return readList(value, field, limits.maxDependencies, (item, path) => readModuleName(item, path, limits));
}

function readList<T>(value: unknown, field: string, maxItems: number, readItem: (item: unknown, path: string) => T): T[] {
  if (!Array.isArray(value)) return reject('invalid_field', field, `${field} must be an array, got ${kindOf(value)}`);
  if (value.length > maxItems) reject('invalid_field', field, `${field} has ${value.length} items, more than the ${maxItems} allowed`);
  return value.map((item: unknown, index) => readItem(item, `${field}[${index}]`));
}
