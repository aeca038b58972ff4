/*
 * Free text from outside (Smith's evidence, metadata, veto reasons) is kept
 * as it came, but only if it can be stored: PostgreSQL's text and json types
 * take neither a NUL character nor half of a UTF-16 surrogate pair (what a
 * JSON "\ud800" escape decodes to), so either would fail a step long after
 * the report was accepted.
 */

// In a u-flag pattern a pair is one code point, so only a surrogate standing alone matches.
const LONE_SURROGATE = /[\uD800-\uDFFF]/u;

/** Whether `text` holds half of a UTF-16 surrogate pair without its other half. */
export function hasLoneSurrogate(text: string): boolean {
  return LONE_SURROGATE.test(text);
}

/** Why `text` cannot be stored as it is, or null when it can. */
export function unstorableTextProblem(text: string): string | null {
  if (text.includes('\0')) return 'contains a null byte';
  if (hasLoneSurrogate(text)) return 'contains a lone UTF-16 surrogate (half of a character, not valid Unicode)';
  return null;
}

// eslint-disable-next-line no-control-regex -- the control characters are what it finds
const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\uD800-\uDFFF]/gu;

/** At most `max` characters of `text`, with "…" when something was cut. */
export function shorten(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

/** `text` on one line of a terminal: control characters and lone surrogates as \u escapes, so no text can move the cursor or forge a line. */
export function printable(text: string): string {
  return text.replace(UNPRINTABLE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
