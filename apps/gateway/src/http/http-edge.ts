import { isUtf8 } from 'node:buffer';
import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import type { Duplex } from 'node:stream';
import type { NextFunction, Request, Response } from 'express';
import { jsonFlaw, printable, repeatedMember, shorten } from '@medic/domain';
import { apiEnvelopeOf, ApiError, type ApiErrorItem } from '@medic/eventlog';
import { routedPath } from './api-paths';

/** The API answers JSON: it loads nothing, and is framed by no page. */
const API_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";
/** The OpenAPI UI (/api/docs): its own scripts and styles (some inline), its icons as data: URLs, the API of its own origin. */
const DOCS_CSP = "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

/**
 * Headers of every answer (spec's security layer 5): no content sniffing, no
 * framing, a Content-Security-Policy, no caching — answers carry what an API
 * key may see — and, over HTTPS, Strict-Transport-Security.
 */
export function securityHeaders(req: Request, res: Response, next: NextFunction): void {
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('X-Frame-Options', 'DENY');
  const path = routedPath(req);
  res.setHeader('Content-Security-Policy', path === '/api/docs' || path.startsWith('/api/docs/') ? DOCS_CSP : API_CSP);
  res.setHeader('Cache-Control', 'no-store');
  // Over HTTPS only (interfaces.web.tls): a browser that saw it keeps to HTTPS for a year.
  if (req.secure) res.setHeader('Strict-Transport-Security', 'max-age=31536000');
  next();
}

/** Methods whose body the gateway reads. */
const WITH_BODY = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
const UTF8 = new Set(['utf-8', 'utf8']);

/** Whether the request carries a body at all (an empty POST is fine whatever it says of its type). */
function hasBody(req: Request): boolean {
  const length = req.headers['content-length'];
  return req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}

/**
 * A request body is JSON in UTF-8 or it is refused with 415, before it is
 * read: a form, plain text or XML would otherwise be read as no body at all,
 * and an approve carried out with its notes silently dropped.
 */
export function requireJsonBodies(req: Request, _res: Response, next: NextFunction): void {
  if (!WITH_BODY.has(req.method) || !hasBody(req)) return next();
  const refusal = jsonBodyRefusal(req.headers['content-type']);
  if (refusal !== null) return next(new ApiError(415, 'unsupported_media_type', refusal));
  // JSON in UTF-8, however the type was spelt (`charset=utf8`, which the body parser would refuse, or upper case).
  req.headers['content-type'] = 'application/json; charset=utf-8';
  next();
}

/** Why a body of this Content-Type is refused, or null when it is JSON in UTF-8. */
export function jsonBodyRefusal(contentType: string | undefined): string | null {
  if (contentType === undefined || contentType.trim() === '') return 'a request body must be JSON: send it with Content-Type: application/json';
  const [media, ...params] = contentType.split(';').map((p) => p.trim());
  if (media!.toLowerCase() !== 'application/json') return `a request body must be JSON (Content-Type: application/json), not ${media!.slice(0, 100)}`;
  for (const param of params) {
    const eq = param.indexOf('=');
    if (eq < 0 || param.slice(0, eq).trim().toLowerCase() !== 'charset') continue;
    const charset = param.slice(eq + 1).trim().replace(/^"(.*)"$/, '$1');
    if (!UTF8.has(charset.toLowerCase())) return `unsupported charset "${charset.slice(0, 40)}": a JSON body must be UTF-8`;
  }
  return null;
}

/** How deep objects and arrays may nest in a request body: the API's bodies are a level or two deep. */
const MAX_BODY_DEPTH = 32;

/**
 * How JSON bodies are read: bytes that are not valid UTF-8 are refused with
 * 415 before they are parsed (they would be read with replacement characters
 * and acted on); text holding a lone surrogate escape, objects and arrays
 * nested more than 32 deep, and a member named twice in one object
 * (`{"reason":"a","reason":""}`, which JSON.parse would read as its last) with
 * 400 `validation_error` naming the field; and a bare JSON value (`null`,
 * `"x"`, `5`) is parsed so that the route says what it takes instead of a
 * parser's message about its first character. The body size limit stays the
 * parser's (100 kB). All of it is looked at here, before the parser: what
 * is thrown from within its parse loses its code and field.
 */
export const JSON_BODIES = {
  strict: false,
  verify: (_req: unknown, _res: unknown, body: Buffer): void => {
    if (!isUtf8(body)) throw Object.assign(new Error('a JSON body must be UTF-8: this one is not valid UTF-8'), { status: 415, expose: true, type: 'charset.unsupported' });
    // The parser reads past a byte order mark (iconv-lite drops it), so this looks past it too.
    const text = body.toString('utf8').replace(/^\uFEFF/, '');
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      // Not JSON: the parser refuses it, saying why.
      return;
    }
    const flaw = jsonFlaw(value, MAX_BODY_DEPTH);
    if (flaw !== null) {
      const field = printable(shorten(flaw.path, 128));
      throw new ApiError(400, 'validation_error', `${field}: ${flaw.reason}`, field);
    }
    const repeated = repeatedMember(text);
    if (repeated !== null) {
      const field = printable(shorten(repeated.path, 128));
      throw new ApiError(400, 'validation_error', `${field}: the body names this member twice in one object; each name may appear once`, field);
    }
  },
};

/**
 * Bounds how long a client may take to send its request, headers and body:
 * one that sends slowly or stops halfway is answered 408 once the request
 * deadline passes, instead of holding a connection for Node's defaults (60 s
 * for the headers, 300 s for the whole request, looked at every 30 s). A
 * request Node cannot parse is answered 400 (431 for oversized headers); every
 * such answer is in the envelope, like the rest of the API's.
 */
export function boundClients(server: Server, deadlineMs: number): void {
  server.requestTimeout = deadlineMs;
  server.headersTimeout = deadlineMs;
  // Read when the server starts listening (see node:http): a lapsed request is noticed within a second.
  (server as Server & { connectionsCheckingInterval: number }).connectionsCheckingInterval = Math.min(1_000, deadlineMs);
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Duplex) => answerClientError(error, socket, deadlineMs));
}

function answerClientError(error: NodeJS.ErrnoException, socket: Duplex, deadlineMs: number): void {
  // A connection reset, or one whose answer has begun (its bytes would be corrupted), gets nothing more.
  const inFlight = (socket as Duplex & { _httpMessage?: { headersSent?: boolean } | null })._httpMessage;
  if (error.code === 'ECONNRESET' || !socket.writable || inFlight?.headersSent === true) {
    socket.destroy();
    return;
  }
  const [status, reason, item] = clientErrorAnswer(error.code, deadlineMs);
  const body = JSON.stringify(apiEnvelopeOf(randomUUID(), null, [item]));
  socket.end(`HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
}

/** The status line and error item for a request Node refused before the gateway saw it. */
export function clientErrorAnswer(code: string | undefined, deadlineMs: number): [number, string, ApiErrorItem] {
  if (code === 'ERR_HTTP_REQUEST_TIMEOUT') {
    return [408, 'Request Timeout', { code: 'request_timeout', message: `the request was not received whole within ${deadlineMs / 1000} s` }];
  }
  if (code === 'HPE_HEADER_OVERFLOW') return [431, 'Request Header Fields Too Large', { code: 'headers_too_large', message: 'the request headers are too large' }];
  return [400, 'Bad Request', { code: 'bad_request', message: 'the request is not valid HTTP' }];
}
