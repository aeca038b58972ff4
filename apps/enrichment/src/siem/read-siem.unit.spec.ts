import { fieldOf, Ignored, readBuckets, readCount, readIndicator, type IndicatorFields } from './read-siem';

const FIELDS: IndicatorFields = {
  timestamp: '@timestamp',
  indicatorType: 'threat.indicator.type',
  indicatorValue: 'threat.indicator.name',
  indicatorScore: 'threat.indicator.score',
  indicatorSource: 'threat.indicator.provider',
  indicatorLastSeen: 'threat.indicator.last_seen',
  tags: 'tags',
};

const good = {
  '@timestamp': '2026-02-10T08:00:00Z',
  threat: { indicator: { type: 'ip', name: '10.0.0.9', score: 0.8, provider: 'intel', last_seen: '2026-02-10T07:00:00Z' } },
  tags: ['c2'],
};

describe('reading the SIEM defensively', () => {
  it('finds dotted fields nested, flat or mixed', () => {
    expect(fieldOf(good, 'threat.indicator.score')).toBe(0.8);
    expect(fieldOf({ 'threat.indicator.score': 0.3 }, 'threat.indicator.score')).toBe(0.3);
    expect(fieldOf({ 'threat.indicator': { score: 0.4 } }, 'threat.indicator.score')).toBe(0.4);
    expect(fieldOf({ threat: 'flat text' }, 'threat.indicator.score')).toBeUndefined();
    expect(fieldOf(null, 'a')).toBeUndefined();
  });

  it('gives every value of a field spelt more than one way in a document, as Elasticsearch indexes them all', () => {
    const twice = { 'threat.indicator.score': 0.05, threat: { indicator: { name: '203.0.113.66', score: 0.99 } } };
    expect(fieldOf(twice, 'threat.indicator.score')).toEqual([0.05, 0.99]);
    expect(fieldOf({ 'threat.indicator.score': null, threat: { indicator: { score: 0.99 } } }, 'threat.indicator.score')).toBe(0.99);
    const ignored = new Ignored();
    // Neither score is taken: the harmless one would hide the other.
    expect(readIndicator(twice, 4, FIELDS, ignored)).toBeNull();
    expect(ignored.list()).toEqual(['indicators[4].threat.indicator.score: 2 values where one score is expected']);
  });

  it('reads a well-formed indicator as it is', () => {
    const ignored = new Ignored();
    expect(readIndicator(good, 0, FIELDS, ignored)).toEqual({ indicatorType: 'ip', value: '10.0.0.9', threatScore: 0.8, source: 'intel', lastSeen: '2026-02-10T07:00:00.000Z', tags: ['c2'] });
    expect(ignored.list()).toEqual([]);
  });

  it.each([
    ['a score above 1', { threat: { indicator: { name: 'x', score: 7 } } }, 'indicators[0].threat.indicator.score: 7 is outside 0–1'],
    ['a negative score', { threat: { indicator: { name: 'x', score: -0.1 } } }, 'indicators[0].threat.indicator.score: -0.1 is outside 0–1'],
    ['a score that is no number', { threat: { indicator: { name: 'x', score: { $gt: 1 } } } }, 'indicators[0].threat.indicator.score: not a number'],
    ['no score', { threat: { indicator: { name: 'x' } } }, 'indicators[0].threat.indicator.score: missing'],
    ['no value', { threat: { indicator: { score: 0.5 } } }, 'indicators[0].threat.indicator.name: missing'],
    ['a huge value', { threat: { indicator: { name: 'x'.repeat(100_000), score: 0.5 } } }, 'indicators[0].threat.indicator.name: 100000 characters, over the 512 kept'],
    ['a value that is an object', { threat: { indicator: { name: { nested: true }, score: 0.5 } } }, 'indicators[0].threat.indicator.name: expected text, got object'],
  ])('leaves out an indicator with %s and says why', (_what, doc, reason) => {
    const ignored = new Ignored();
    expect(readIndicator(doc, 0, FIELDS, ignored)).toBeNull();
    expect(ignored.list()).toContain(reason);
  });

  it('keeps an indicator whose extras are bad, dropping only those', () => {
    const ignored = new Ignored();
    const doc = { threat: { indicator: { name: 'evil.example', score: '0.5', type: ['list'], provider: 42, last_seen: 'yesterday' } }, tags: ['ok', 7, 'x'.repeat(65)] };
    expect(readIndicator(doc, 3, FIELDS, ignored)).toEqual({ indicatorType: 'unknown', value: 'evil.example', threatScore: 0.5, source: '42', lastSeen: '1970-01-01T00:00:00.000Z', tags: ['ok'] });
    expect(ignored.list()).toEqual([
      'indicators[3].threat.indicator.type: expected text, got a list',
      'indicators[3].threat.indicator.last_seen: no readable time',
      'indicators[3].tags: 2 tags kept out (not text, too long or over 20)',
    ]);
  });

  it('takes only usable buckets and counts', () => {
    const ignored = new Ignored();
    expect(readBuckets({ buckets: [{ key: 'login', doc_count: 3 }, { key: { x: 1 }, doc_count: 1 }, { key: 'y', doc_count: 'many' }] }, 'actions', ignored)).toEqual({ login: 3 });
    expect(readBuckets({ buckets: 'nope' }, 'outcomes', ignored)).toEqual({});
    expect(readCount({ doc_count: 4 }, 'fp', ignored)).toBe(4);
    expect(readCount({ value: 12 }, 'total', ignored)).toBe(12);
    expect(readCount({ doc_count: -1 }, 'fp', ignored)).toBe(0);
    expect(ignored.list()).toEqual(['actions: a bucket without a usable key and count', 'actions: a bucket without a usable key and count', 'outcomes: buckets are not a list', 'fp: not a count']);
  });

  it('keeps the list of what was ignored bounded', () => {
    const ignored = new Ignored();
    for (let i = 0; i < 80; i++) ignored.add(`f${i}`, 'bad');
    expect(ignored.list()).toHaveLength(51);
    expect(ignored.list()[50]).toBe('… and 30 more');
  });
});
