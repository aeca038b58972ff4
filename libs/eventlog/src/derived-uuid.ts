import { createHash } from 'node:crypto';

/**
 * A UUID derived from a name: the same name always gives the same id. For
 * ids that a second try of the same work must repeat, so readers can tell
 * it is the same thing again (a notice asked again after a defer, a kill's
 * one outcome).
 */
export function derivedUuid(name: string): string {
  const h = createHash('sha256').update(name).digest('hex');
  // Shaped as an RFC 4122 name-based UUID (version 5 bits, variant 10).
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-${((parseInt(h.slice(16, 17), 16) & 0x3) | 0x8).toString(16)}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}
