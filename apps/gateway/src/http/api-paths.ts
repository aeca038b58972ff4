import type { Request } from 'express';

/**
 * The request's path as the router matches it: Express routes ignore case, so
 * `/API/v1/decisions` reaches the same handler as `/api/v1/decisions`, and
 * whatever applies to the API's paths (the rate limit, request spans, the
 * docs' content policy) must see them alike.
 */
export function routedPath(req: Request): string {
  return req.path.toLowerCase();
}

/** Whether the request is for the API (anything under `/api/`, in any case). */
export function isApiRequest(req: Request): boolean {
  return routedPath(req).startsWith('/api/');
}
