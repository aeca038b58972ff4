/** Helpers over the plain JSON-like trees that YAML and env vars produce. */

export type PlainObject = Record<string, unknown>;

export type DeepReadonly<T> = T extends readonly (infer U)[]
  ? readonly DeepReadonly<U>[]
  : T extends object
    ? { readonly [K in keyof T]: DeepReadonly<T[K]> }
    : T;

export function isPlainObject(value: unknown): value is PlainObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Objects merge key by key; anything else (scalars, arrays) in `over` replaces `base`. */
export function deepMerge(base: unknown, over: unknown): unknown {
  if (over === undefined) return base;
  if (!isPlainObject(base) || !isPlainObject(over)) return over;
  const keys = new Set([...Object.keys(base), ...Object.keys(over)]);
  // fromEntries defines own properties, so a `__proto__` key stays a key (and is then rejected as unknown).
  return Object.fromEntries([...keys].map((key) => [key, deepMerge(base[key], over[key])]));
}

/** Drops null values from objects: `siem:` with every child commented out means "keep the defaults". */
export function pruneNulls(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(pruneNulls);
  if (!isPlainObject(value)) return value;
  const entries = Object.entries(value).filter(([, child]) => child !== null);
  return Object.fromEntries(entries.map(([key, child]) => [key, pruneNulls(child)]));
}

/** True when a YAML alias made the tree refer to itself (`a: &x [*x]`). */
export function hasCycle(value: unknown, ancestors: readonly unknown[] = []): boolean {
  if (typeof value !== 'object' || value === null) return false;
  if (ancestors.includes(value)) return true;
  const children: unknown[] = Object.values(value);
  return children.some((child) => hasCycle(child, [...ancestors, value]));
}

export function getPath(value: unknown, path: readonly string[]): unknown {
  return path.reduce<unknown>((node, key) => (isPlainObject(node) ? node[key] : undefined), value);
}

/** A copy of `value` without the key at `path` (missing intermediate keys leave it unchanged). */
export function omitPath(value: unknown, path: readonly string[]): unknown {
  const [head, ...rest] = path;
  if (head === undefined || !isPlainObject(value) || !(head in value)) return value;
  const entries = Object.entries(value);
  if (rest.length === 0) return Object.fromEntries(entries.filter(([key]) => key !== head));
  return Object.fromEntries(entries.map(([key, child]) => [key, key === head ? omitPath(child, rest) : child]));
}

/** A tree holding only `leaf` at `path`, to be deep-merged over another. */
export function treeAt(path: readonly string[], leaf: unknown): unknown {
  return path.reduceRight<unknown>((child, key) => ({ [key]: child }), leaf);
}

export function deepFreeze<T>(value: T): DeepReadonly<T> {
  if (typeof value === 'object' && value !== null) {
    Object.freeze(value);
    const children: unknown[] = Object.values(value);
    children.forEach(deepFreeze);
  }
  return value as DeepReadonly<T>;
}
