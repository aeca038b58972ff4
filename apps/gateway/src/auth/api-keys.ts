import { createHash, timingSafeEqual } from 'node:crypto';
import type { ApiKeyEntry, ApiRole } from '@medic/config';

export const ROLE_RANK: Readonly<Record<ApiRole, number>> = { viewer: 1, operator: 2, admin: 3 };

export interface Principal {
  readonly name: string;
  readonly role: ApiRole;
}

export function sha256Hex(value: string): string {
  return createHash('sha256').update(value, 'utf8').digest('hex');
}

/**
 * Finds the key's owner by comparing SHA-256 digests in constant time against
 * every stored hash (no early exit), so timing says nothing about the keys.
 */
export function authenticate(presented: string, keys: readonly ApiKeyEntry[]): Principal | null {
  const digest = Buffer.from(sha256Hex(presented), 'hex');
  let found: Principal | null = null;
  for (const key of keys) {
    const stored = Buffer.from(key.key_sha256, 'hex');
    if (stored.length === digest.length && timingSafeEqual(stored, digest) && found === null) {
      found = { name: key.name, role: key.role };
    }
  }
  return found;
}

export function hasRole(principal: Principal, needed: ApiRole): boolean {
  return ROLE_RANK[principal.role] >= ROLE_RANK[needed];
}
