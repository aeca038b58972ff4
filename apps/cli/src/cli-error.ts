import { printable, shorten } from '@medic/domain';

/** A message for the user and a non-zero exit, not a stack trace. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
  }
}

/** How much of what the user typed an error message repeats. */
const SHOWN_MAX = 128;

/** What the user typed, as an error message repeats it: on one line, control characters as escapes, long text cut short. */
export function shown(text: string): string {
  return printable(shorten(text, SHOWN_MAX));
}
