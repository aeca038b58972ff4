import type { NextFunction, Request, Response } from 'express';
import { endSpan, SpanKind, startSpan, withSpan } from '@medic/observability';
import { isApiRequest } from './api-paths';

/**
 * A server span for every API request, child of the caller's `traceparent`
 * when it sends one: the commands and events the request appends carry it, so
 * an operator's approval and what the kill workflow makes of it are one
 * trace. Named by method and route template once the route is known.
 */
export function traceRequests(req: Request, res: Response, next: NextFunction): void {
  if (!isApiRequest(req)) {
    next();
    return;
  }
  const parent = req.headers.traceparent;
  const span = startSpan(req.method, {
    kind: SpanKind.SERVER,
    parent: typeof parent === 'string' ? parent : null,
    attributes: () => ({ 'http.request.method': req.method, 'url.path': req.path, 'url.scheme': req.secure ? 'https' : 'http', 'user_agent.original': req.headers['user-agent'] ?? '' }),
  });
  res.once('close', () => {
    const route = (req.route as { path?: unknown } | undefined)?.path;
    if (typeof route === 'string') span.updateName(`${req.method} ${route}`);
    const status = res.statusCode;
    endSpan(span, status >= 500 ? new Error(`HTTP ${status}`) : undefined, () => ({
      'http.response.status_code': status,
      ...(typeof route === 'string' ? { 'http.route': route } : {}),
      ...(res.writableFinished ? {} : { 'medic.request.aborted': true }),
    }));
  });
  withSpan(span, next, [req, res]);
}
