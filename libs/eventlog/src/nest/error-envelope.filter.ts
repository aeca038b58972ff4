import { type ArgumentsHost, Catch, type ExceptionFilter, HttpException, HttpStatus, Inject, NotFoundException } from '@nestjs/common';
import type { Request, Response } from 'express';
import { Logger } from '@medic/observability';
import { isRetriable } from '../dead-letters';
import { ApiError, apiEnvelope, requestIdOf, type ApiErrorItem } from './api-envelope';
import { SERVICE_NAME } from './tokens';

/** Seconds a client is told to wait before trying again after a 503. */
const RETRY_AFTER_SECONDS = 5;

const CODES: Record<number, string> = {
  400: 'bad_request',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  405: 'method_not_allowed',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
  429: 'rate_limited',
  503: 'unavailable',
};

/**
 * Every error leaves a service's HTTP port in the response envelope (spec
 * 9.2): the gateway's API, and the metrics and readiness port of every other
 * service, where a path it does not serve is a 404 and a method it does not
 * take a 405 naming those it does. Unknown errors are logged and hidden.
 */
@Catch()
export class ErrorEnvelopeFilter implements ExceptionFilter {
  private readonly logger: Logger;

  constructor(@Inject(SERVICE_NAME) service: string) {
    this.logger = new Logger(`medic.${service}.http`);
  }

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const req = http.getRequest<Request>();
    const res = http.getResponse<Response>();
    const allowed = exception instanceof NotFoundException && req.route === undefined ? allowedMethods(req) : [];
    const { status, item, cause } = allowed.length > 0 ? notAllowed(req, allowed) : answerOf(exception);
    if (allowed.length > 0) res.setHeader('Allow', allowed.join(', '));
    // Postgres or the broker unreachable, or refusing for now: the caller may try again, nothing is wrong with its request.
    if (cause === 'unreachable') this.logger.warn('request failed: a store Medic depends on is not reachable', { error: exception, path: req.path, request_id: requestIdOf(req) });
    if (cause === 'unhandled') this.logger.error('unhandled error in request', { error: exception, path: req.path, request_id: requestIdOf(req) });
    res.setHeader('X-Request-Id', requestIdOf(req));
    if (status === 503) res.setHeader('Retry-After', String(RETRY_AFTER_SECONDS));
    res.status(status).json(apiEnvelope(req, exception instanceof ApiError ? exception.data : null, [item]));
  }
}

/**
 * What the API answers `exception` with: its status and error item, and for
 * a failure that is not the caller's, whether a store was unreachable (503)
 * or something unexpected happened (500, its detail left to the log).
 */
function answerOf(exception: unknown): { status: number; item: ApiErrorItem; cause: 'unreachable' | 'unhandled' | null } {
  if (exception instanceof ApiError) {
    return { status: exception.status, item: { code: exception.code, message: exception.message, ...(exception.field ? { field: exception.field } : {}) }, cause: null };
  }
  if (exception instanceof HttpException) {
    const status = exception.getStatus();
    return { status, item: { code: codeOf(status), message: messageOf(exception) }, cause: null };
  }
  const client = clientErrorOf(exception);
  if (client) return { status: client.status, item: { code: codeOf(client.status), message: client.message }, cause: null };
  if (isRetriable(exception)) {
    return { status: HttpStatus.SERVICE_UNAVAILABLE, item: { code: 'unavailable', message: 'Postgres or Kafka is not reachable just now; try again shortly.' }, cause: 'unreachable' };
  }
  return { status: HttpStatus.INTERNAL_SERVER_ERROR, item: { code: 'internal', message: 'internal error' }, cause: 'unhandled' };
}

interface RouteLayer {
  readonly route?: { readonly methods: Record<string, boolean | undefined> };
  match(path: string): boolean;
}

/** The methods the routes of the request's path take, when no route took its method (empty when no route has that path). */
function allowedMethods(req: Request): string[] {
  const stack = (req.app as unknown as { router?: { stack?: readonly RouteLayer[] } }).router?.stack ?? [];
  const methods = new Set<string>();
  for (const layer of stack) {
    if (layer.route === undefined || !layer.match(req.path)) continue;
    for (const [method, on] of Object.entries(layer.route.methods)) if (on === true && method !== '_all') methods.add(method.toUpperCase());
  }
  if (methods.has('GET')) methods.add('HEAD');
  return [...methods].sort();
}

function notAllowed(req: Request, allowed: readonly string[]): { status: number; item: ApiErrorItem; cause: null } {
  const message = `${req.method} is not allowed on ${req.path.slice(0, 200)}; it takes ${allowed.join(', ')}`;
  return { status: HttpStatus.METHOD_NOT_ALLOWED, item: { code: codeOf(HttpStatus.METHOD_NOT_ALLOWED), message }, cause: null };
}

/** The envelope's code for an HTTP status: its name where it has one (`not_found`), else `http_<status>`. */
function codeOf(status: number): string {
  return CODES[status] ?? `http_${status}`;
}

/** The HTTP status the filter answers `exception` with: how the API's answers are counted in metrics too. */
export function httpStatusOf(exception: unknown): number {
  return answerOf(exception).status;
}

/**
 * The request's own fault, as Express's body parser reports it before any
 * route runs (a body over the size limit: 413; a charset or encoding it
 * cannot read: 415; a body cut short: 400): an http-errors error with a 4xx
 * status whose message is meant for the client.
 */
function clientErrorOf(exception: unknown): { status: number; message: string } | null {
  if (typeof exception !== 'object' || exception === null) return null;
  const e = exception as { status?: unknown; expose?: unknown; message?: unknown };
  if (typeof e.status !== 'number' || e.status < 400 || e.status > 499 || e.expose !== true) return null;
  return { status: e.status, message: typeof e.message === 'string' ? e.message : `request refused (${e.status})` };
}

function messageOf(exception: HttpException): string {
  const body = exception.getResponse();
  if (typeof body === 'string') return body;
  const message = (body as { message?: unknown }).message;
  return Array.isArray(message) ? message.join('; ') : typeof message === 'string' ? message : exception.message;
}
