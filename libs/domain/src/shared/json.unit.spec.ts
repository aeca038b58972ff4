import { canonicalJson } from './json';

describe('canonical JSON', () => {
  it('is one text for objects equal as JSON, their members in any order, at any depth', () => {
    const a = { b: 2, a: { y: [3, { q: 1, p: 2 }], x: null } };
    const b = { a: { x: null, y: [3, { p: 2, q: 1 }] }, b: 2 };
    expect(canonicalJson(a)).toBe('{"a":{"x":null,"y":[3,{"p":2,"q":1}]},"b":2}');
    expect(canonicalJson(b)).toBe(canonicalJson(a));
  });

  it('keeps the order of arrays, and tells other values apart', () => {
    expect(canonicalJson([2, 1])).not.toBe(canonicalJson([1, 2]));
    expect(canonicalJson({ a: '1' })).not.toBe(canonicalJson({ a: 1 }));
  });

  it('keeps a member named __proto__ as a member, and leaves out undefined ones as JSON does', () => {
    const hostile = JSON.parse('{"__proto__":{"x":1},"a":1}') as unknown;
    expect(canonicalJson(hostile)).toBe('{"__proto__":{"x":1},"a":1}');
    expect(canonicalJson({ b: undefined, a: 1 })).toBe('{"a":1}');
  });
});
