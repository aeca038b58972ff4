import { type CallHandler, type ExecutionContext, Injectable, type NestInterceptor } from '@nestjs/common';
import type { Request, Response } from 'express';
import { map, type Observable } from 'rxjs';
import { envelope, requestIdOf, type ResponseEnvelope } from './envelope';

/** Wraps every controller result in the response envelope and echoes the request id. */
@Injectable()
export class EnvelopeInterceptor implements NestInterceptor {
  intercept(context: ExecutionContext, next: CallHandler<unknown>): Observable<ResponseEnvelope<unknown>> {
    const http = context.switchToHttp();
    const req = http.getRequest<Request>();
    http.getResponse<Response>().setHeader('X-Request-Id', requestIdOf(req));
    return next.handle().pipe(map((data) => envelope(req, data ?? null)));
  }
}
