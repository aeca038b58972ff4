import { closeSync, openSync, readSync, statSync } from 'node:fs';

/** Bytes from `from` to the end of `file`, capped to the last `maxBytes`; '' when unreadable. */
function readEnd(file: string, from: number, maxBytes: number): string {
  let fd: number | undefined;
  try {
    fd = openSync(file, 'r');
    const size = statSync(file).size;
    const start = Math.max(from, size - maxBytes, 0);
    const buffer = Buffer.alloc(Math.max(size - start, 0));
    readSync(fd, buffer, 0, buffer.length, start);
    return buffer.toString('utf8');
  } catch {
    return '';
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** The last `lines` lines of a server log, for error messages that show why it failed. */
export function tailOf(file: string, lines = 30): string {
  const text = readEnd(file, 0, 64 * 1024);
  return text ? tailOfText(text, lines) : `(nothing readable in ${file})`;
}

/** Last lines of a command's output: enough to see the error, short enough for a message. */
export function tailOfText(text: string, lines = 20): string {
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}

/** What a server wrote to `file` from byte `offset` on (one start attempt), at most the last 4 MB. */
export function textSince(file: string, offset: number): string {
  return readEnd(file, offset, 4 * 1024 * 1024);
}

/**
 * The first ERROR/FATAL log line and the exception line under it. A failing JVM server logs
 * hundreds of shutdown lines after the cause, so a plain tail rarely shows why it failed.
 */
export function firstError(text: string): string | undefined {
  const lines = text.split('\n');
  const at = lines.findIndex((line) => /\] (ERROR|FATAL) /.test(line));
  if (at < 0) return undefined;
  const cause = lines[at + 1];
  return cause && !cause.startsWith('[') ? `${lines[at]}\n${cause}` : lines[at];
}
