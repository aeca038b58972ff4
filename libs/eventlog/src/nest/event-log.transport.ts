import { applyDecorators, Catch, Controller, UseFilters, type RpcExceptionFilter } from '@nestjs/common';
import { type CustomTransportStrategy, Server } from '@nestjs/microservices';
import { lastValueFrom, throwError, type Observable } from 'rxjs';

/**
 * Hands one record to the handler Nest registered for its pattern (its
 * CloudEvents type); resolves false when no handler takes that type. A
 * handler's error reaches the caller as it was thrown.
 */
export type LogDispatch = (pattern: string, data: unknown, context: unknown) => Promise<boolean>;

/** Something that consumes the log until stopped (a transactional step or a projection runner). */
export interface LogWorker {
  start(dispatch: LogDispatch): Promise<void>;
  stop(): Promise<void>;
}

/** Lets a handler's error through to the kit, which decides: retry, dead-letter, or reject the record. */
@Catch()
class PassErrorsToTheKit implements RpcExceptionFilter {
  catch(error: unknown): Observable<never> {
    return throwError(() => error);
  }
}

/**
 * Marks a class whose methods handle records of the log, each declared with
 * `@EventPattern(<ce_type>)` and taking `@Payload()` (the decoded event) and
 * `@Ctx()` (what its step gives every handler of a round).
 */
export const LogHandlers = () => applyDecorators(Controller(), UseFilters(new PassErrorsToTheKit()));

/**
 * A Nest microservice transport over Medic's event log: Nest owns the
 * lifecycle (start with the app, stop on shutdown) and the handlers declared
 * with @EventPattern; the workers own the consuming, with round-level
 * transactions, and dispatch each record to its handler by `ce_type`.
 */
export class EventLogTransport extends Server implements CustomTransportStrategy {
  constructor(private readonly workers: readonly LogWorker[]) {
    super();
  }

  listen(callback: (error?: unknown) => void): void {
    // Looked up once per type: Nest's lookup parses the pattern each time.
    const handlers = new Map<string, ReturnType<Server['getHandlerByPattern']>>();
    const dispatch: LogDispatch = async (pattern, data, context) => {
      let handler = handlers.get(pattern);
      if (handler === undefined) handlers.set(pattern, (handler = this.getHandlerByPattern(pattern)));
      if (!handler) return false;
      await lastValueFrom(this.transformToObservable(await handler(data, context)), { defaultValue: undefined });
      return true;
    };
    Promise.all(this.workers.map((w) => w.start(dispatch))).then(
      () => callback(),
      (error: unknown) => callback(error),
    );
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.stop()));
  }

  on(): never {
    throw new Error('EventLogTransport has no events to subscribe to');
  }

  unwrap<T>(): T {
    return this.workers as unknown as T;
  }
}
