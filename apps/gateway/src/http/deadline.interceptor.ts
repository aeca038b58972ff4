import { type CallHandler, type ExecutionContext, Inject, Injectable, type NestInterceptor } from '@nestjs/common';
import type { Request } from 'express';
import { type Observable, throwError, timeout } from 'rxjs';
import type { MedicConfig } from '@medic/config';
import { ApiError, MEDIC_CONFIG } from '@medic/eventlog';
import { Logger } from '@medic/observability';

/** `interfaces.web.request_timeout_seconds` in milliseconds: the longest any request of the gateway takes. */
export function requestDeadlineMs(config: MedicConfig): number {
  return config.interfaces.web.request_timeout_seconds * 1000;
}

/**
 * Every request is answered within `interfaces.web.request_timeout_seconds`.
 * Postgres or the broker hanging (not refusing, just not answering) would
 * otherwise hold the caller until its own timeout, and a load balancer's
 * health probe with it; past the deadline the caller gets a 503 in the
 * envelope instead. What the request started may still finish: a POST with
 * an Idempotency-Key retried later gets its answer.
 */
@Injectable()
export class DeadlineInterceptor implements NestInterceptor {
  private readonly logger = new Logger('medic.gateway.http');
  private readonly deadlineMs: number;

  constructor(@Inject(MEDIC_CONFIG) config: MedicConfig) {
    this.deadlineMs = requestDeadlineMs(config);
  }

  intercept(context: ExecutionContext, next: CallHandler<unknown>): Observable<unknown> {
    const http = context.switchToHttp();
    const req = http.getRequest<Request>();
    return next.handle().pipe(
      timeout({
        first: this.deadlineMs,
        with: () => {
          // The error filter answers it, with Retry-After as for every 503.
          this.logger.warn('request not answered within its deadline', { method: req.method, path: req.path, deadline_ms: this.deadlineMs });
          const seconds = this.deadlineMs / 1000;
          const effect = req.method === 'GET' || req.method === 'HEAD' ? '' : ' What it asked may still take effect: retry it with the same Idempotency-Key to get its answer.';
          return throwError(() => new ApiError(503, 'unavailable', `Medic could not answer within ${seconds} s: Postgres or Kafka is not answering in time.${effect}`));
        },
      }),
    );
  }
}
