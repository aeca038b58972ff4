import type { JsonObject, JsonValue } from '../shared/json';
import { isUntrustedObject, type UntrustedObject } from './json-object';
import type { KillReportLimits } from './kill-report-limits';
import { kindOf, quote, reject, rejectUnstorable } from './validation-failure';

/*
 * Metadata is free-form, so it is bounded by shape instead of by schema:
 * nesting depth, total key count, finite numbers, no "__proto__" key
 * (harmless as parsed, but Object.assign downstream would turn it into a
 * prototype change), and no text that cannot be stored (see shared/text).
 */

interface Walk {
  readonly limits: KillReportLimits;
  keys: number;
}

const PLAIN_KEY = /^[A-Za-z_][A-Za-z0-9_-]{0,63}$/;

export function readMetadata(value: unknown, field: string, limits: KillReportLimits): JsonObject {
  if (!isUntrustedObject(value)) return reject('invalid_field', field, `${field} must be a JSON object, got ${kindOf(value)}`);
  const walk: Walk = { limits, keys: 0 };
  checkObject(value, field, 1, walk);
  return value as JsonObject; // checked node by node above
}

function checkValue(value: unknown, path: string, depth: number, walk: Walk): asserts value is JsonValue {
  if (value === null || typeof value === 'boolean') return;
  if (typeof value === 'string') {
    rejectUnstorable(value, path);
    return;
  }
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) reject('invalid_field', path, `${path} is not a finite number`);
    return;
  }
  if (Array.isArray(value)) {
    checkDepth(path, depth, walk);
    value.forEach((item: unknown, index) => checkValue(item, `${path}[${index}]`, depth + 1, walk));
    return;
  }
  if (isUntrustedObject(value)) {
    checkObject(value, path, depth, walk);
    return;
  }
  reject('invalid_field', path, `${path} is ${kindOf(value)}, which is not a JSON value`);
}

function checkObject(object: UntrustedObject, path: string, depth: number, walk: Walk): void {
  checkDepth(path, depth, walk);
  for (const key of Object.keys(object)) {
    walk.keys += 1;
    if (walk.keys > walk.limits.maxMetadataKeys) {
      reject('invalid_field', 'payload.metadata', `payload.metadata has more than ${walk.limits.maxMetadataKeys} keys in total`);
    }
    const keyPath = PLAIN_KEY.test(key) ? `${path}.${key}` : `${path}[${quote(key)}]`;
    if (key === '__proto__') reject('invalid_field', keyPath, `${keyPath} uses the reserved key "__proto__"`);
    rejectUnstorable(key, keyPath, `the key of ${keyPath}`);
    checkValue(object[key], keyPath, depth + 1, walk);
  }
}

function checkDepth(path: string, depth: number, walk: Walk): void {
  if (depth > walk.limits.maxMetadataDepth) {
    reject('invalid_field', path, `${path} is nested deeper than ${walk.limits.maxMetadataDepth} levels`);
  }
}
