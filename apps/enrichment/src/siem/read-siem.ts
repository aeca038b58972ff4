import { normalizeInstant, type JsonObject, type ThreatIndicator } from '@medic/domain';

/*
 * The SIEM's documents are other people's data: any field may be missing, of
 * the wrong type, out of range or huge. Each is read with a bound and a check;
 * what fails is left out and named ("indicators[2].threat.indicator.score: …"),
 * never trusted and never fatal.
 */

export interface IndicatorFields {
  readonly timestamp: string;
  readonly indicatorType: string;
  readonly indicatorValue: string;
  readonly indicatorScore: string;
  readonly indicatorSource: string;
  readonly indicatorLastSeen: string;
  readonly tags: string;
}

const MAX_TEXT = 512;
const MAX_TAGS = 20;
const MAX_IGNORED = 50;

/**
 * A field of a document by its dotted name, nested (`{a:{b:1}}`) or flat
 * (`{"a.b":1}`). A document may hold it under more than one of those
 * spellings, which Elasticsearch indexes as one field with several values:
 * it is then the list of them, as a field given several values would be, so
 * that no reader takes one of them and misses the others.
 */
export function fieldOf(doc: unknown, path: string): unknown {
  const found = valuesOf(doc, path);
  return found.length === 0 ? undefined : found.length === 1 ? found[0] : found;
}

/** Every value the document holds under the dotted name, one per spelling. */
function valuesOf(doc: unknown, path: string): unknown[] {
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) return [];
  const record = doc as Record<string, unknown>;
  const found: unknown[] = [];
  // A null is no value, as Elasticsearch indexes it.
  if (Object.hasOwn(record, path) && record[path] !== undefined && record[path] !== null) found.push(record[path]);
  // Every split: "threat.indicator.score" may be {threat:{indicator:{score}}}, {"threat.indicator":{score}} or {"threat.indicator.score"}.
  for (let i = path.indexOf('.'); i >= 0; i = path.indexOf('.', i + 1)) {
    const head = path.slice(0, i);
    if (Object.hasOwn(record, head)) found.push(...valuesOf(record[head], path.slice(i + 1)));
  }
  return found;
}

export class Ignored {
  readonly items: string[] = [];
  private dropped = 0;
  /** Set when a part of the answer could not be had at all (a search failed): the context is then unknown, not clean. */
  failed: string | null = null;

  add(where: string, why: string): void {
    if (this.items.length < MAX_IGNORED) this.items.push(`${where}: ${why}`);
    else this.dropped += 1;
  }

  fail(where: string, why: string): void {
    this.add(where, why);
    this.failed ??= `${where}: ${why}`;
  }

  list(): string[] {
    return this.dropped > 0 ? [...this.items, `… and ${this.dropped} more`] : this.items;
  }
}

function text(value: unknown, where: string, ignored: Ignored, required: boolean): string | null {
  if (value === undefined || value === null) {
    if (required) ignored.add(where, 'missing');
    return null;
  }
  const s = typeof value === 'number' && Number.isFinite(value) ? String(value) : value;
  if (typeof s !== 'string') {
    ignored.add(where, `expected text, got ${Array.isArray(value) ? 'a list' : typeof value}`);
    return null;
  }
  if (s.length > MAX_TEXT) {
    ignored.add(where, `${s.length} characters, over the ${MAX_TEXT} kept`);
    return null;
  }
  // eslint-disable-next-line no-control-regex
  return s.replace(/[\u0000-\u001f\u007f]/g, ' ').trim();
}

/** One indicator document, or null (with the reason in `ignored`) when it cannot be used. */
export function readIndicator(source: unknown, index: number, fields: IndicatorFields, ignored: Ignored): ThreatIndicator | null {
  const at = (field: string) => `indicators[${index}].${field}`;
  const value = text(fieldOf(source, fields.indicatorValue), at(fields.indicatorValue), ignored, true);
  const rawScore = fieldOf(source, fields.indicatorScore);
  const score = typeof rawScore === 'string' && rawScore.trim() !== '' ? Number(rawScore) : rawScore;
  if (typeof score !== 'number' || !Number.isFinite(score)) {
    ignored.add(at(fields.indicatorScore), rawScore === undefined ? 'missing' : Array.isArray(rawScore) ? `${rawScore.length} values where one score is expected` : 'not a number');
    return null;
  }
  if (score < 0 || score > 1) {
    ignored.add(at(fields.indicatorScore), `${score} is outside 0–1`);
    return null;
  }
  if (value === null) return null;
  if (value === '') {
    ignored.add(at(fields.indicatorValue), 'blank');
    return null;
  }
  const type = text(fieldOf(source, fields.indicatorType), at(fields.indicatorType), ignored, false) || 'unknown';
  const origin = text(fieldOf(source, fields.indicatorSource), at(fields.indicatorSource), ignored, false) || 'unknown';
  const seenRaw = fieldOf(source, fields.indicatorLastSeen) ?? fieldOf(source, fields.timestamp);
  const seen = typeof seenRaw === 'string' ? normalizeInstant(seenRaw) : typeof seenRaw === 'number' ? normalizeInstant(new Date(seenRaw).toISOString()) : null;
  if (seen === null) ignored.add(at(fields.indicatorLastSeen), 'no readable time');
  return { indicatorType: type.slice(0, 64), value, threatScore: score, source: origin.slice(0, 128), lastSeen: seen ?? '1970-01-01T00:00:00.000Z', tags: readTags(fieldOf(source, fields.tags), at(fields.tags), ignored) };
}

function readTags(value: unknown, where: string, ignored: Ignored): string[] {
  if (value === undefined || value === null) return [];
  const list = typeof value === 'string' ? [value] : value;
  if (!Array.isArray(list)) {
    ignored.add(where, 'expected a list of text');
    return [];
  }
  const tags = list.filter((t): t is string => typeof t === 'string' && t.length > 0 && t.length <= 64).slice(0, MAX_TAGS);
  if (tags.length < list.length) ignored.add(where, `${list.length - tags.length} tags kept out (not text, too long or over ${MAX_TAGS})`);
  return tags;
}

/** The buckets of a terms aggregation as {key: count}, bounded; anything else is named and skipped. */
export function readBuckets(aggregation: unknown, where: string, ignored: Ignored): JsonObject {
  const buckets = (aggregation as { buckets?: unknown } | undefined)?.buckets;
  if (buckets === undefined) return {};
  if (!Array.isArray(buckets)) {
    ignored.add(where, 'buckets are not a list');
    return {};
  }
  const out: Record<string, number> = {};
  for (const b of buckets.slice(0, 20)) {
    const key = (b as { key?: unknown }).key;
    const count = (b as { doc_count?: unknown }).doc_count;
    if ((typeof key !== 'string' && typeof key !== 'number') || typeof count !== 'number' || !Number.isFinite(count) || String(key).length > MAX_TEXT) {
      ignored.add(where, 'a bucket without a usable key and count');
      continue;
    }
    out[String(key)] = count;
  }
  return out;
}

/** A count from a filter aggregation or a hits total, 0 (named) when unusable. */
export function readCount(value: unknown, where: string, ignored: Ignored): number {
  const n = typeof value === 'object' && value !== null ? (value as { doc_count?: unknown; value?: unknown }).doc_count ?? (value as { value?: unknown }).value : value;
  if (n === undefined) return 0;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 0) {
    ignored.add(where, 'not a count');
    return 0;
  }
  return n;
}
