/**
 * A reading that is taken at most once per `maxAgeMs`: callers within that
 * time of the last reading get it again, and callers while one is being taken
 * share it. A failed or empty (null) reading is not kept, so the next caller
 * asks again.
 */
export class RecentReading<T> {
  private last: { readonly value: T; readonly at: number } | null = null;
  private taking: Promise<T | null> | null = null;

  constructor(
    private readonly maxAgeMs: number,
    private readonly take: () => Promise<T | null>,
    private readonly now: () => number = Date.now,
  ) {}

  get(): Promise<T | null> {
    if (this.last !== null && this.now() - this.last.at < this.maxAgeMs) return Promise.resolve(this.last.value);
    this.taking ??= this.take()
      .then((value) => {
        this.last = value === null ? null : { value, at: this.now() };
        return value;
      })
      .catch(() => {
        this.last = null;
        return null;
      })
      .finally(() => {
        this.taking = null;
      });
    return this.taking;
  }
}
