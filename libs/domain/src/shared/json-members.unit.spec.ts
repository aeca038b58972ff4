import { jsonFlaw, repeatedMember } from './json-members';

describe('repeatedMember', () => {
  it('finds nothing when every object has distinct names', () => {
    expect(repeatedMember('{"a":1,"b":{"a":2,"c":[{"a":3},{"a":4}]},"c":"a"}')).toBeNull();
    expect(repeatedMember('[1,"x",{"a":null}]')).toBeNull();
    expect(repeatedMember('"just a string"')).toBeNull();
    expect(repeatedMember('42')).toBeNull();
  });

  it('names a repeated top-level member by itself', () => {
    expect(repeatedMember('{"kill_id":"a","x":1,"kill_id":"b"}')).toEqual({ name: 'kill_id', path: 'kill_id' });
  });

  it('gives the wire path of a repeat inside nested objects and arrays', () => {
    expect(repeatedMember('{"payload":{"kill_id":"a","kill_id":"b"}}')).toEqual({ name: 'kill_id', path: 'payload.kill_id' });
    expect(repeatedMember('{"m":{"tags":[{"n":1},{"n":2,"n":3}]}}')).toEqual({ name: 'n', path: 'm.tags[1].n' });
    expect(repeatedMember('[{"a":1},{"b":1,"b":2}]')).toEqual({ name: 'b', path: '[1].b' });
  });

  it('compares names as JSON decodes them', () => {
    expect(repeatedMember('{"kill_id":"a","kill\\u005fid":"b"}')).toEqual({ name: 'kill_id', path: 'kill_id' });
    expect(repeatedMember('{"a\\"b":1,"a\\"b":2}')).toEqual({ name: 'a"b', path: 'a"b' });
  });

  it('is not misled by strings that look like structure', () => {
    expect(repeatedMember('{"a":"{\\"a\\":1,\\"a\\":2}","b":"\\\\","c":"x,\\"a\\":"}')).toBeNull();
    expect(repeatedMember('{"a":"\\\\","a":1}')).toEqual({ name: 'a', path: 'a' });
  });

  it('counts a name once per object, not across sibling objects', () => {
    expect(repeatedMember('{"x":{"id":1},"y":{"id":2}}')).toBeNull();
    expect(repeatedMember('{"x":{"id":1},"x":{"id":2}}')).toEqual({ name: 'x', path: 'x' });
  });

  it('walks nesting far deeper than the call stack allows without overflowing', () => {
    const depth = 200_000;
    const deep = `${'{"a":'.repeat(depth)}{"b":1,"b":2}${'}'.repeat(depth)}`;
    const found = repeatedMember(deep);
    expect(found?.name).toBe('b');
    expect(found?.path.split('.').length).toBe(depth + 1);
  });
});

describe('jsonFlaw', () => {
  it('finds nothing in well-formed text and shallow nesting', () => {
    expect(jsonFlaw({ reason: 'fine 😀', notes: { tags: ['a', 'b'] } }, 3)).toBeNull();
    expect(jsonFlaw('plain', 0)).toBeNull();
  });

  it('names the first lone surrogate in document order, in a string or a member name', () => {
    expect(jsonFlaw({ a: 'ok', b: ['x', '\ud800'], c: '\udc00' }, 8)).toEqual({ path: 'b[1]', reason: expect.stringMatching(/lone surrogate/) as unknown });
    expect(jsonFlaw({ outer: { '\udfff': 1 } }, 8)?.path).toBe('outer.\udfff');
    expect(jsonFlaw('\ud800', 8)?.path).toBe('body');
  });

  it('bounds nesting without recursion, however deep', () => {
    let deep: unknown = [];
    for (let i = 0; i < 100_000; i++) deep = [deep];
    expect(jsonFlaw({ notes: deep }, 32)).toEqual({ path: `notes${'[0]'.repeat(31)}`, reason: 'nests objects and arrays more than 32 deep' });
    expect(jsonFlaw({ a: { b: {} } }, 2)).toEqual({ path: 'a.b', reason: 'nests objects and arrays more than 2 deep' });
    expect(jsonFlaw({ a: { b: 1 } }, 2)).toBeNull();
  });
});
