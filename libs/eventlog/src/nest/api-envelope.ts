import { randomUUID } from 'node:crypto';
import type { Request } from 'express';

/** The spec 9.2 response envelope: every answer, success or error, has this shape. */
export interface ApiErrorItem {
  readonly code: string;
  readonly message: string;
  /** The request field at fault; null (in the answer) when the error is about no one field. */
  readonly field?: string | null;
}

export interface ResponseEnvelope<T> {
  readonly success: boolean;
  readonly data: T | null;
  readonly meta: { readonly timestamp: string; readonly request_id: string; readonly version: string };
  readonly errors: readonly Required<ApiErrorItem>[];
}

export const API_VERSION = '1.0';

/** An error meant for the API caller, translated to its HTTP status at the edge. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly field?: string,
    /** What the answer still shows beside the error (an unhealthy /health: every check). */
    readonly data: unknown = null,
  ) {
    super(message);
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The caller's X-Request-Id when it is a uuid, else a fresh one; remembered on the request. */
export function requestIdOf(req: Request): string {
  const holder = req as Request & { medicRequestId?: string };
  if (!holder.medicRequestId) {
    const given = req.header('x-request-id');
    holder.medicRequestId = given && UUID.test(given) ? given : randomUUID();
  }
  return holder.medicRequestId;
}

export function apiEnvelope<T>(req: Request, data: T | null, errors: readonly ApiErrorItem[] = []): ResponseEnvelope<T> {
  return apiEnvelopeOf(requestIdOf(req), data, errors);
}

/** The envelope of an answer given before any request was read (a request Node could not parse or never got whole). */
export function apiEnvelopeOf<T>(requestId: string, data: T | null, errors: readonly ApiErrorItem[] = []): ResponseEnvelope<T> {
  return {
    success: errors.length === 0,
    data,
    meta: { timestamp: new Date().toISOString(), request_id: requestId, version: API_VERSION },
    // Every error has the same three keys, whatever made it.
    errors: errors.map((e) => ({ code: e.code, message: e.message, field: e.field ?? null })),
  };
}
