/** A parsed JSON object: not null, not an array. */
export type UntrustedObject = Readonly<Record<string, unknown>>;

export function isUntrustedObject(value: unknown): value is UntrustedObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Own properties only: a key like "constructor" must not reach Object.prototype. */
export function ownField(object: UntrustedObject, key: string): unknown {
  return Object.hasOwn(object, key) ? object[key] : undefined;
}
