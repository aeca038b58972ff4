import { chunkMessages, MAX_STATEMENT_PARAMETERS, sizeOf, sliceForStatement } from './chunks';

describe('chunkMessages', () => {
  const msg = (bytes: number) => ({ key: 'k', value: Buffer.alloc(bytes), headers: { ce_type: 'x' } });

  it('keeps every message, in order, in chunks under the limit', () => {
    const messages = Array.from({ length: 50 }, (_, i) => ({ ...msg(1000), key: `k${i}` }));
    const chunks = chunkMessages(messages, 10_000);
    expect(chunks.flat()).toEqual(messages);
    for (const c of chunks) expect(c.reduce((s, m) => s + sizeOf(m), 0)).toBeLessThanOrEqual(10_000);
    expect(chunks.length).toBeGreaterThan(4);
  });

  it('puts a message larger than the limit in a chunk of its own', () => {
    const chunks = chunkMessages([msg(10), msg(50_000), msg(10)], 10_000);
    expect(chunks.map((c) => c.length)).toEqual([1, 1, 1]);
  });

  it('makes no chunk for no messages', () => {
    expect(chunkMessages([])).toEqual([]);
  });
});

describe('sliceForStatement', () => {
  it("cuts a round's rows so that no statement carries more parameters than allowed", () => {
    const rows = Array.from({ length: 25_000 }, (_, i) => i);
    const slices = sliceForStatement(rows, 52);
    expect(slices.every((s) => s.length * 52 <= MAX_STATEMENT_PARAMETERS)).toBe(true);
    expect(slices.flat()).toEqual(rows);
    expect(sliceForStatement([1, 2, 3], 1, 2)).toEqual([[1, 2], [3]]);
    // A row wider than the bound still goes, one to a statement; nothing makes no statement.
    expect(sliceForStatement([1, 2], 10, 5)).toEqual([[1], [2]]);
    expect(sliceForStatement([], 3)).toEqual([]);
  });
});
