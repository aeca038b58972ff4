import { chunkMessages, sizeOf } from './chunks';

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
