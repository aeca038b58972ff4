import { type ArgumentsHost, Catch, type ExceptionFilter, HttpException, HttpStatus } from '@nestjs/common';
import type { Request, Response } from 'express';
import { isRetriable } from '@medic/eventlog';
import { Logger } from '@medic/observability';
import { ApiError, envelope, requestIdOf, type ApiErrorItem } from './envelope';

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

/** Every error leaves the gateway in the response envelope; unknown errors are logged and hidden. */
@Catch()
export class ErrorEnvelopeFilter implements ExceptionFilter {
  private readonly logger = new Logger('medic.gateway.http');

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const req = http.getRequest<Request>();
    const res = http.getResponse<Response>();
    const [status, item] = this.translate(exception, req);
    res.setHeader('X-Request-Id', requestIdOf(req));
    if (status === 503) res.setHeader('Retry-After', String(RETRY_AFTER_SECONDS));
    res.status(status).json(envelope(req, exception instanceof ApiError ? exception.data : null, [item]));
  }

  private translate(exception: unknown, req: Request): [number, ApiErrorItem] {
    if (exception instanceof ApiError) {
      return [exception.status, { code: exception.code, message: exception.message, ...(exception.field ? { field: exception.field } : {}) }];
    }
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      return [status, { code: CODES[status] ?? `http_${status}`, message: messageOf(exception) }];
    }
    const client = clientErrorOf(exception);
    if (client) return [client.status, { code: CODES[client.status] ?? `http_${client.status}`, message: client.message }];
    // Postgres or the broker unreachable, or refusing for now: the caller may try again, nothing is wrong with its request.
    if (isRetriable(exception)) {
      this.logger.warn('request failed: a store Medic depends on is not reachable', { error: exception, path: req.path, request_id: requestIdOf(req) });
      return [HttpStatus.SERVICE_UNAVAILABLE, { code: 'unavailable', message: 'Postgres or Kafka is not reachable just now; try again shortly.' }];
    }
    this.logger.error('unhandled error in request', { error: exception, path: req.path, request_id: requestIdOf(req) });
    return [HttpStatus.INTERNAL_SERVER_ERROR, { code: 'internal', message: 'internal error' }];
  }
}

/** The HTTP status the filter answers `exception` with: how the API's answers are counted in metrics too. */
export function httpStatusOf(exception: unknown): number {
  if (exception instanceof ApiError) return exception.status;
  if (exception instanceof HttpException) return exception.getStatus();
  const client = clientErrorOf(exception);
  if (client) return client.status;
  return isRetriable(exception) ? HttpStatus.SERVICE_UNAVAILABLE : HttpStatus.INTERNAL_SERVER_ERROR;
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
