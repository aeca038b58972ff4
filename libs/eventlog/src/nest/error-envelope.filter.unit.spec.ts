import type { ArgumentsHost } from '@nestjs/common';
import { Client } from 'pg';
import { ErrorEnvelopeFilter, httpStatusOf } from './error-envelope.filter';
import { ApiError } from './api-envelope';

interface Answer {
  status: number;
  headers: Map<string, string>;
  body: { success: boolean; data?: unknown; errors: { code: string; message: string }[] };
}

/** What the filter answers for `exception`, through a request and a response shaped like Express's. */
function answer(exception: unknown): Answer {
  const out: Answer = { status: 0, headers: new Map(), body: { success: true, errors: [] } };
  const req = { path: '/api/v1/decisions', header: () => undefined };
  const res = {
    setHeader: (name: string, value: string) => out.headers.set(name.toLowerCase(), value),
    hasHeader: (name: string) => out.headers.has(name.toLowerCase()),
    status(code: number) {
      out.status = code;
      return this;
    },
    json(body: Answer['body']) {
      out.body = body;
    },
  };
  const host = { switchToHttp: () => ({ getRequest: () => req, getResponse: () => res }) } as unknown as ArgumentsHost;
  new ErrorEnvelopeFilter('gateway').catch(exception, host);
  return out;
}

/** The error node-postgres gives when nothing listens where Postgres should be. */
async function refusedConnection(): Promise<unknown> {
  const client = new Client({ host: '127.0.0.1', port: 1, connectionTimeoutMillis: 2000 });
  return client.connect().then(
    () => new Error('something listens on port 1'),
    (error: unknown) => error,
  );
}

describe('ErrorEnvelopeFilter', () => {
  it('answers 503 unavailable, with Retry-After, when Postgres is not reachable: the request was fine', async () => {
    const refused = await refusedConnection();
    expect((refused as { code?: string }).code).toBe('ECONNREFUSED');
    const out = answer(refused);
    expect(out.status).toBe(503);
    expect(out.headers.get('retry-after')).toBe('5');
    expect(out.body.success).toBe(false);
    expect(out.body.errors).toEqual([{ code: 'unavailable', message: expect.stringMatching(/Postgres or Kafka is not reachable/) as unknown, field: null }]);
    // The driver's words (addresses, ports) stay in the log.
    expect(JSON.stringify(out.body)).not.toMatch(/127\.0\.0\.1/);
  });

  it('counts an answer with the status the caller gets: 503 for a store not reachable, not 500', async () => {
    expect(httpStatusOf(await refusedConnection())).toBe(503);
    expect(httpStatusOf(new ApiError(409, 'illegal_transition', 'no'))).toBe(409);
    expect(httpStatusOf(new Error('secret detail'))).toBe(500);
  });

  it('shows what an error carries beside it: every check of an unhealthy /health', () => {
    const out = answer(new ApiError(503, 'unhealthy', 'Medic is unhealthy: database error', undefined, { status: 'unhealthy', checks: { database: 'error', kafka: 'ok' } }));
    expect(out.status).toBe(503);
    expect(out.body).toMatchObject({ success: false, data: { status: 'unhealthy', checks: { database: 'error', kafka: 'ok' } }, errors: [{ code: 'unhealthy' }] });
  });

  it('keeps an unknown error a 500 that says nothing of it', () => {
    const out = answer(new Error('secret detail'));
    expect(out.status).toBe(500);
    expect(out.body.errors).toEqual([{ code: 'internal', message: 'internal error', field: null }]);
    expect(out.headers.has('retry-after')).toBe(false);
  });

  it('answers an ApiError as it says', () => {
    const out = answer(new ApiError(409, 'conflict', 'already denied'));
    expect(out.status).toBe(409);
    expect(out.body.errors).toEqual([{ code: 'conflict', message: 'already denied', field: null }]);
  });
});
