import type { NextFunction, Request, Response } from 'express';
import type { Registry } from 'prom-client';
import type { MedicConfig } from '@medic/config';
import { counter } from '@medic/observability';
import { identify } from '../auth/api-key.guard';
import { ApiError } from '@medic/eventlog';
import { isApiRequest } from './api-paths';
import { TokenBuckets, type RateLimit } from './rate-limit';

function rateLimitOf(config: MedicConfig): RateLimit {
  const { requests_per_second: requestsPerSecond, burst } = config.interfaces.web.rate_limit;
  return { requestsPerSecond, burst };
}

/**
 * `interfaces.web.rate_limit` on every API request, before its body is read:
 * a request with a valid API key counts against that key's bucket (its
 * holder's scripts share it, whatever address they come from); any other
 * against its client address, so that guessing keys or flooding without one
 * is slowed too. Over the limit: 429 `rate_limited` with `Retry-After`. Each
 * gateway replica counts its own requests.
 */
export function limitRequests(config: MedicConfig, metrics: Registry, now: () => number = () => performance.now()) {
  const limit = rateLimitOf(config);
  const buckets = new TokenBuckets(limit);
  const refused = counter(metrics, 'medic_api_rate_limited_total', 'API requests refused with 429 for going over interfaces.web.rate_limit, by what they were counted by', ['client']);
  const described = `${limit.requestsPerSecond} a second, in bursts of up to ${limit.burst}`;
  return (req: Request, res: Response, next: NextFunction): void => {
    if (limit.requestsPerSecond <= 0 || !isApiRequest(req)) return next();
    const identity = identify(req, config.api.keys);
    // No key, one that is not valid, or two different ones (refused later): counted by address.
    const principal = 'refused' in identity ? null : (identity.principal?.name ?? null);
    const client = principal === null ? `address ${req.socket.remoteAddress ?? 'unknown'}` : `key ${principal}`;
    const admission = buckets.take(client, now());
    if (admission.admitted) return next();
    refused.inc({ client: principal === null ? 'address' : 'key' });
    res.setHeader('Retry-After', String(admission.retryAfterSeconds));
    const whose = principal === null ? 'this address' : `the API key ${principal}`;
    next(new ApiError(429, 'rate_limited', `too many requests from ${whose} (the limit is ${described}): try again in ${admission.retryAfterSeconds} s`));
  };
}
