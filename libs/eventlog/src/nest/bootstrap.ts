import type { ServerOptions as HttpsOptions } from 'node:https';
import type { INestApplication, NestApplicationOptions } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { checkConfigFiles, ConfigError, loadConfig, type MedicConfig } from '@medic/config';
import { configureLogging, dropKnownWarnings, Logger, startTracing, TracingConfigError } from '@medic/observability';
import { onLogConsumerLost } from '../consumer-lost';
import { EventLogTransport, type LogWorker } from './event-log.transport';
import { NestJsonLogger } from './nest-logger';

export interface ServiceDefinition {
  readonly service: string;
  /** The root module for this config. */
  module(config: MedicConfig): unknown;
  /** The log workers to run under the microservice transport (resolved from the app). */
  workers?(app: INestApplication): readonly LogWorker[];
  /** HTTP port: the API for the gateway, metrics and health for the others. */
  port(config: MedicConfig): number;
  /** Address to listen on; loopback unless the service says otherwise. */
  host?(config: MedicConfig): string;
  configure?(app: INestApplication, config: MedicConfig): void;
  /** Serve HTTPS with these options (read with the config: a problem with them stops the start as a configuration error); plain HTTP when absent or null. */
  httpsOptions?(config: MedicConfig): HttpsOptions | null;
}

/** Loads config once (failing fast), starts the Nest app, its log workers and its HTTP port. */
export async function runService(def: ServiceDefinition): Promise<INestApplication> {
  dropKnownWarnings();
  const logger = new Logger(`medic.${def.service}`);
  let config: MedicConfig;
  let httpsOptions: HttpsOptions | null;
  try {
    config = loadConfig();
    // The files the config names (TLS), read now: a problem with them is a configuration error, not a failed start.
    checkConfigFiles(config);
    httpsOptions = def.httpsOptions?.(config) ?? null;
    // First, so that every client made from here on (Elasticsearch's traces itself) joins the traces.
    startTracing(def.service);
  } catch (error) {
    if (error instanceof ConfigError || error instanceof TracingConfigError) {
      process.stderr.write(`medic ${def.service}: invalid configuration\n${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }
  configureLogging({ level: config.logging.level, format: config.logging.format });
  const app = await NestFactory.create(def.module(config) as never, { logger: new NestJsonLogger(def.service), bufferLogs: false, ...(httpsOptions ? { httpsOptions: httpsOptions as NestApplicationOptions['httpsOptions'] } : {}) });
  app.enableShutdownHooks();
  // Nothing tells a caller which framework answers.
  (app.getHttpAdapter().getInstance() as { disable(setting: string): void }).disable('x-powered-by');
  onLogConsumerLost((error) => void stopForRestart(app, logger, error));
  def.configure?.(app, config);
  const workers = def.workers?.(app) ?? [];
  if (workers.length > 0) {
    app.connectMicroservice({ strategy: new EventLogTransport(workers) }, { inheritAppConfig: true });
    await app.startAllMicroservices();
  }
  const port = def.port(config);
  await app.listen(port, def.host?.(config) ?? '127.0.0.1');
  logger.info(`${def.service} started`, { port, mode: config.mode.current, ...(httpsOptions ? { scheme: 'https' } : {}) });
  return app;
}

/** How long the shutdown after a lost consumer may take before the process exits anyway. */
const STOP_GRACE_MS = 10_000;
let stopping = false;

/**
 * A service whose consumer kafkajs gave up on would stay up consuming nothing,
 * its /ready and /health still ok: it shuts down as on SIGTERM, then exits 1,
 * so that its supervisor (`medic up`) reports it and starts it again.
 */
async function stopForRestart(app: INestApplication, logger: Logger, error: Error): Promise<void> {
  if (stopping) return;
  stopping = true;
  logger.critical('a Kafka consumer stopped for good; the service stops, to be restarted', { error });
  setTimeout(() => process.exit(1), STOP_GRACE_MS).unref();
  await app.close().catch((closeError: unknown) => logger.error('shutdown failed', { error: closeError }));
  process.exit(1);
}

/** Entry point wrapper: an unexpected error at start-up is logged and exits non-zero. */
export function main(def: ServiceDefinition): void {
  runService(def).catch((error: unknown) => {
    new Logger(`medic.${def.service}`).critical('start-up failed', { error });
    process.exit(1);
  });
}
