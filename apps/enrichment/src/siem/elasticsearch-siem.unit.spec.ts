import { answered, byModule, chunksOf, slices } from './elasticsearch-siem';
import { Ignored } from './read-siem';
import type { SiemQuery } from './siem-client';

const query = (killId: string, module: string): SiemQuery => ({ killId, module, from: '2026-01-12T12:00:00.000Z', to: '2026-02-11T12:00:00.000Z' });

describe('how a round of kills is split into searches', () => {
  it('groups the kills by module, in the order the modules first come', () => {
    const groups = byModule([query('k1', 'b'), query('k2', 'a'), query('k3', 'b')]);
    expect(groups.map((g) => g.map((q) => q.killId))).toEqual([['k1', 'k3'], ['k2']]);
  });

  it('asks the events of many modules in one search while they fit, keeping each module whole', () => {
    const groups = byModule(['a', 'b', 'c', 'd'].flatMap((m) => [query(`${m}1`, m), query(`${m}2`, m)]));
    const chunks = chunksOf(groups, 5);
    expect(chunks.map((c) => c.map((g) => g[0]!.module))).toEqual([['a', 'b'], ['c', 'd']]);
    expect(chunks.flat(2).map((q) => q.killId)).toEqual(['a1', 'a2', 'b1', 'b2', 'c1', 'c2', 'd1', 'd2']);
  });

  it('slices a module with more kills than a search holds, so that no search holds more', () => {
    const many = Array.from({ length: 12 }, (_, i) => query(`k${i}`, 'busy'));
    const chunks = chunksOf([...slices(many, 5), [query('q', 'quiet')]], 5);
    expect(chunks.map((c) => c.reduce((n, g) => n + g.length, 0))).toEqual([5, 5, 3]);
    expect(chunks.flat(2).map((q) => q.killId)).toEqual([...many.map((q) => q.killId), 'q']);
  });

  it('asks the indicators of at most so many modules in one search', () => {
    const groups = byModule(['a', 'b', 'c'].map((m) => query(`${m}1`, m)));
    expect(slices(groups, 2).map((chunk) => chunk.map((g) => g[0]!.module))).toEqual([['a', 'b'], ['c']]);
  });
});

describe("one search's answer in an msearch", () => {
  const hits = { hits: { hits: [{ _source: {} }] } };

  it('is used when every shard answered in time', () => {
    const ignored = new Ignored();
    expect(answered({ ...hits, timed_out: false, _shards: { total: 1, successful: 1, failed: 0 } }, 'indicators', ignored)).toMatchObject(hits);
    expect(ignored.failed).toBeNull();
  });

  it.each([
    ['failed', { error: { reason: 'no such index' } }, 'indicators: its search failed: no such index'],
    ['some shards failed', { ...hits, _shards: { total: 2, successful: 1, failed: 1, failures: [{ reason: { reason: 'shard gone' } }] } }, 'indicators: 1 shards of its search failed: shard gone'],
    // What a search's own timeout gives: the hits found by then, every shard counted successful.
    ['timed out', { ...hits, timed_out: true, _shards: { total: 1, successful: 1, failed: 0 } }, 'indicators: its search timed out, with what it had found by then'],
  ])('is unknown, not clean, when its search %s', (_what, response, reason) => {
    const ignored = new Ignored();
    expect(answered(response, 'indicators', ignored)).toBeUndefined();
    expect(ignored.failed).toBe(reason);
  });
});
