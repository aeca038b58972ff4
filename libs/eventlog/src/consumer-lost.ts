import type { Consumer } from 'kafkajs';
import type { LogContext, Logger } from '@medic/observability';

/**
 * Calls `lost` when kafkajs gives up on a consumer for good. After a crash it
 * holds retriable, kafkajs starts the consumer again by itself; after any
 * other (a batch it cannot decode, an error marked not retriable) it
 * disconnects the consumer and only emits CRASH: the process lives on,
 * consuming nothing.
 */
export function whenConsumerGivenUp(consumer: Consumer, lost: (error: Error) => void): void {
  consumer.on(consumer.events.CRASH, ({ payload }) => {
    if (!payload.restart) lost(payload.error);
  });
}

let onLost: ((error: Error) => void) | null = null;

/**
 * What this process does when kafkajs gives up on the consumer of one of its
 * log steps or projection runners: a service stops, to be restarted (see
 * `runService`). Unset, the loss is only logged.
 */
export function onLogConsumerLost(handler: ((error: Error) => void) | null): void {
  onLost = handler;
}

/** For the kit's long-running consumers: a consumer given up on is logged and handed to the process. */
export function watchLogConsumer(consumer: Consumer, logger: Logger, context: LogContext): void {
  whenConsumerGivenUp(consumer, (error) => {
    logger.critical('kafkajs gave up on this consumer for good: nothing more is consumed', { ...context, error });
    onLost?.(error);
  });
}
