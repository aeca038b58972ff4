/** `1 kill`, `2 kills`: a count and its noun, as the reasoning and messages say it. */
export function plural(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}
