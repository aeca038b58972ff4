/** Calls on a container engine in flight at once, where a burst asks about many containers. */
export const ENGINE_CALLS_AT_ONCE = 16;

/** `fn` over every item, at most `limit` at a time; the results in the items' order. */
export async function mapAtMost<T, U>(items: readonly T[], limit: number, fn: (item: T) => Promise<U>): Promise<U[]> {
  const results = new Array<U>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
