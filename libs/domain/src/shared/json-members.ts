/**
 * JSON.parse keeps the last of two members with one name and says nothing,
 * so `{"kill_id":"a","kill_id":"b"}` reads as kill b to Medic while another
 * reader (Smith's signer, an analyst's tool) may take kill a. RFC 8259 leaves
 * such a message's meaning to each parser; I-JSON (RFC 7493) forbids it.
 * Medic refuses it instead of choosing.
 */

/** A member name that appears twice in one object: its name, and its path as the wire paths of validation failures have it. */
export interface RepeatedMember {
  readonly name: string;
  /** `payload.kill_id`, `metadata.tags[2].name`; the bare name at the top level. */
  readonly path: string;
}

interface Frame {
  readonly path: string;
  /** Null for an array. */
  readonly names: Set<string> | null;
  /** In an object: whether the next string is a member name. */
  expectName: boolean;
  /** In an object: the last member name read. */
  lastName: string;
  /** In an array: the index of the current element. */
  index: number;
}

/**
 * The first member name repeated within one object of `text`, in document
 * order, or null when every object's names are distinct. Names are compared
 * as JSON decodes them (`"a"` and `"\u0061"` are one name). `text` must be
 * JSON that JSON.parse accepts; the walk is iterative, so no nesting depth
 * can overflow the stack.
 */
export function repeatedMember(text: string): RepeatedMember | null {
  const stack: Frame[] = [];
  const pathOfNext = (): string => {
    const top = stack[stack.length - 1];
    if (top === undefined) return '';
    if (top.names === null) return `${top.path}[${top.index}]`;
    return top.path === '' ? top.lastName : `${top.path}.${top.lastName}`;
  };
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      const end = stringEnd(text, i);
      const top = stack[stack.length - 1];
      if (top !== undefined && top.names !== null && top.expectName) {
        const raw = text.slice(i + 1, end);
        const name = raw.includes('\\') ? (JSON.parse(text.slice(i, end + 1)) as string) : raw;
        top.lastName = name;
        if (top.names.has(name)) return { name, path: pathOfNext() };
        top.names.add(name);
        top.expectName = false;
      }
      i = end;
    } else if (c === OPEN_OBJECT || c === OPEN_ARRAY) {
      stack.push({ path: pathOfNext(), names: c === OPEN_OBJECT ? new Set() : null, expectName: true, lastName: '', index: 0 });
    } else if (c === CLOSE_OBJECT || c === CLOSE_ARRAY) {
      stack.pop();
    } else if (c === COMMA) {
      const top = stack[stack.length - 1];
      if (top === undefined) continue;
      if (top.names === null) top.index += 1;
      else top.expectName = true;
    }
  }
  return null;
}

/** The index of the quote that closes the string opening at `start`. */
function stringEnd(text: string, start: number): number {
  let i = start + 1;
  for (;;) {
    const quote = text.indexOf('"', i);
    if (quote < 0) return text.length;
    // Escaped when an odd number of backslashes stands right before it.
    let backslashes = 0;
    for (let j = quote - 1; j > start && text.charCodeAt(j) === BACKSLASH; j--) backslashes += 1;
    if (backslashes % 2 === 0) return quote;
    i = quote + 1;
  }
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
