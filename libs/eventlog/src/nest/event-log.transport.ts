import { type CustomTransportStrategy, Server } from '@nestjs/microservices';

/** Something that consumes the log until stopped (a processor or a projection runner). */
export interface LogWorker {
  start(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * A Nest microservice transport over Medic's event log: Nest owns the lifecycle
 * (start with the app, stop on shutdown), the workers own the consuming, with
 * batch-level transactions that per-message handlers could not give.
 */
export class EventLogTransport extends Server implements CustomTransportStrategy {
  constructor(private readonly workers: readonly LogWorker[]) {
    super();
  }

  listen(callback: (error?: unknown) => void): void {
    Promise.all(this.workers.map((w) => w.start())).then(
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
