import { startKafka } from './kafka';
import { startPostgres } from './postgres';
import { type DevstackOptions, type StackHandle } from './types';

/**
 * Kafka and Postgres in parallel. If one fails the other is stopped again, so a failed start
 * leaves no server behind; the first failure is what the caller sees.
 */
export async function startStack(opts: DevstackOptions): Promise<StackHandle> {
  const [kafka, postgres] = await Promise.allSettled([startKafka(opts), startPostgres(opts)]);
  if (kafka.status === 'fulfilled' && postgres.status === 'fulfilled') {
    let stopping: Promise<void> | undefined;
    const stop = async () => {
      await Promise.all([kafka.value.stop(), postgres.value.stop()]);
    };
    return { kafka: kafka.value, postgres: postgres.value, stop: () => (stopping ??= stop()) };
  }
  const started = [kafka, postgres].flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
  await Promise.allSettled(started.map((handle) => handle.stop()));
  throw kafka.status === 'rejected' ? kafka.reason : (postgres as PromiseRejectedResult).reason;
}
