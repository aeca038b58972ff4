/**
 * How long one call on the container engine (a listing, an inspect, a start,
 * a create) may take. An engine that hangs would otherwise hold a step's
 * round, and the Postgres transaction around it, until it answers.
 */
export const ENGINE_CALL_TIMEOUT_MS = 30_000;

/** Errors of the socket to the engine, rather than answers of the engine. */
const UNREACHABLE = new Set(['ECONNREFUSED', 'ECONNRESET', 'ENOENT', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH']);

/**
 * The engine did not answer: it hangs, is restarting, or its socket is gone.
 * That says nothing about the container asked about, so it is retriable: a
 * step tries again with backoff rather than recording a verdict or
 * dead-lettering the record.
 */
export class EngineUnavailable extends Error {
  override readonly name = 'EngineUnavailable';
  readonly retriable = true;
  readonly code = 'engine_unavailable';
}

/**
 * One call on the engine, given an abort signal that fires if it has not
 * answered within `ms` (and never once it has: a stream it opened stays
 * open). A call past its bound, or one the engine's socket refused, is an
 * EngineUnavailable naming `what`; the engine's own answers (404, 409…) are
 * passed on as they are.
 */
export async function engineCall<T>(what: string, ms: number, call: (abortSignal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), ms);
  try {
    return await call(controller.signal);
  } catch (error) {
    if (controller.signal.aborted) throw new EngineUnavailable(`the container engine did not answer within ${ms / 1000}s (${what})`);
    const code = (error as { code?: unknown } | null)?.code;
    if (typeof code === 'string' && UNREACHABLE.has(code)) throw new EngineUnavailable(`the container engine could not be reached (${what}): ${(error as Error).message}`);
    throw error;
  } finally {
    clearTimeout(timer);
  }
}

/**
 * A call about no container in particular (the listing of them all), as
 * engineCall. The engine failing it (a 5xx answer) says nothing about any
 * record, so that is an EngineUnavailable too: retried with backoff, never
 * taken for the record's fault. A call about one container keeps the
 * engine's 5xx as it is: it may be about that container alone (its storage,
 * a port it asks for), which the caller records rather than holding every
 * other kill back.
 */
export async function engineWideCall<T>(what: string, ms: number, call: (abortSignal: AbortSignal) => Promise<T>): Promise<T> {
  try {
    return await engineCall(what, ms, call);
  } catch (error) {
    const status = (error as { statusCode?: unknown } | null)?.statusCode;
    if (typeof status === 'number' && status >= 500) {
      const said = ((error as Error).message ?? '').split('\n')[0]!.slice(0, 300);
      throw new EngineUnavailable(`the container engine failed ${what} (HTTP ${status}): ${said}`);
    }
    throw error;
  }
}
