import { normalizeInstant } from '../shared/time';
import { killIdProblem, moduleNameProblem } from './identifiers';
import type { KillReportLimits } from './kill-report-limits';
import { kindOf, quote, reject } from './validation-failure';

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

/** An ISO-8601 timestamp with a zone, rewritten in UTC. */
export function readTimestamp(value: unknown, field: string): string {
  const text = readString(value, field);
  const instant = normalizeInstant(text);
  if (instant === null) {
    reject('invalid_field', field, `${field} ${quote(text)} is not an ISO-8601 date-time with a timezone (e.g. "2026-02-11T12:00:00Z")`);
  }
  return instant;
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
    return reject('invalid_field', field, `${field} must be a finite number, got ${kindOf(value)}`);
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
    if (text.includes('\0')) reject('invalid_field', path, `${path} contains a null byte`);
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
