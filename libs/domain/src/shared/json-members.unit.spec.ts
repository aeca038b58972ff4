import { repeatedMember } from './json-members';

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
