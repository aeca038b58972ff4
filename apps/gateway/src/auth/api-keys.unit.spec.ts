import { authenticate, hasRole, sha256Hex } from './api-keys';

describe('API keys', () => {
  const keys = [
    { name: 'ops', role: 'operator' as const, key_sha256: sha256Hex('ops-secret') },
    { name: 'dash', role: 'viewer' as const, key_sha256: sha256Hex('dash-secret') },
    { name: 'root', role: 'admin' as const, key_sha256: sha256Hex('root-secret') },
  ];

  it('finds the owner of a key by its hash', () => {
    expect(authenticate('dash-secret', keys)).toEqual({ name: 'dash', role: 'viewer' });
    expect(authenticate('root-secret', keys)).toEqual({ name: 'root', role: 'admin' });
  });

  it('refuses unknown, empty and near-miss keys', () => {
    expect(authenticate('dash-secreT', keys)).toBeNull();
    expect(authenticate('', keys)).toBeNull();
    expect(authenticate(sha256Hex('dash-secret'), keys)).toBeNull(); // the stored hash is not a key
    expect(authenticate('dash-secret', [])).toBeNull();
  });

  it('ranks roles admin > operator > viewer', () => {
    expect(hasRole({ name: 'a', role: 'admin' }, 'operator')).toBe(true);
    expect(hasRole({ name: 'o', role: 'operator' }, 'operator')).toBe(true);
    expect(hasRole({ name: 'o', role: 'operator' }, 'admin')).toBe(false);
    expect(hasRole({ name: 'v', role: 'viewer' }, 'operator')).toBe(false);
    expect(hasRole({ name: 'v', role: 'viewer' }, 'viewer')).toBe(true);
  });
});
