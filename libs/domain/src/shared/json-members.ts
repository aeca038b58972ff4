import { hasLoneSurrogate } from './text';

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

/** Something in a parsed JSON body that is not acceptable text or shape, and where: its path as `RepeatedMember` has it. */
export interface JsonFlaw {
  readonly path: string;
  readonly reason: string;
}

/**
 * The first place in a parsed JSON value (depth first, in document order)
 * nested more than `maxDepth` objects or arrays deep, or holding a lone UTF-16
 * surrogate in a member name or a string (an escape such as `\ud800` that
 * names no character), or null. The walk is iterative: no depth overflows the stack.
 */
export function jsonFlaw(value: unknown, maxDepth: number): JsonFlaw | null {
  const stack: { readonly value: unknown; readonly path: string; readonly depth: number }[] = [{ value, path: '', depth: 0 }];
  const at = (path: string) => (path === '' ? 'body' : path);
  for (let next = stack.pop(); next !== undefined; next = stack.pop()) {
    const { value: v, path, depth } = next;
    if (typeof v === 'string') {
      if (hasLoneSurrogate(v)) return { path: at(path), reason: 'holds a lone surrogate escape (\\ud800–\\udfff without its pair), which is not text' };
      continue;
    }
    if (v === null || typeof v !== 'object') continue;
    if (depth >= maxDepth) return { path: at(path), reason: `nests objects and arrays more than ${maxDepth} deep` };
    const children: { value: unknown; path: string; depth: number }[] = [];
    if (Array.isArray(v)) {
      v.forEach((item, i) => children.push({ value: item, path: `${path}[${i}]`, depth: depth + 1 }));
    } else {
      for (const [name, item] of Object.entries(v as Record<string, unknown>)) {
        const child = path === '' ? name : `${path}.${name}`;
        if (hasLoneSurrogate(name)) return { path: child, reason: 'its name holds a lone surrogate escape (\\ud800–\\udfff without its pair), which is not text' };
        children.push({ value: item, path: child, depth: depth + 1 });
      }
    }
    // Reversed onto the stack: taken off in document order.
    for (let i = children.length - 1; i >= 0; i--) stack.push(children[i]!);
  }
  return null;
}
