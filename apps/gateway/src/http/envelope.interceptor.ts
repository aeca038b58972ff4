import { type CallHandler, type ExecutionContext, Injectable, type NestInterceptor } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { apiEnvelope, RAW_RESPONSE_KEY, requestIdOf } from '@medic/eventlog';
import type { Request, Response } from 'express';
import { map, type Observable } from 'rxjs';

/**
 * Wraps every controller result in the response envelope and echoes the
 * request id; endpoints marked @RawResponse (Prometheus' /metrics) keep their own format.
 */
@Injectable()
export class EnvelopeInterceptor implements NestInterceptor {
  constructor(private readonly reflector: Reflector) {}

  intercept(context: ExecutionContext, next: CallHandler<unknown>): Observable<unknown> {
    const http = context.switchToHttp();
    const req = http.getRequest<Request>();
    http.getResponse<Response>().setHeader('X-Request-Id', requestIdOf(req));
    if (this.reflector.getAllAndOverride<boolean>(RAW_RESPONSE_KEY, [context.getHandler(), context.getClass()])) return next.handle();
    return next.handle().pipe(map((data) => apiEnvelope(req, data ?? null)));
  }
}
