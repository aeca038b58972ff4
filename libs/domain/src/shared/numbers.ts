/** Scores are kept to 4 decimals so that a value on a threshold lands on it, not 1e-17 beside it. */
export function round4(value: number): number {
  return Math.round(value * 10_000) / 10_000;
}

export function clamp01(value: number): number {
  return Math.min(1, Math.max(0, value));
}
