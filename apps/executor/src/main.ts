import 'reflect-metadata';
import { main } from '@medic/eventlog';
import { ExecutorModule } from './executor.module';
import { ExecutorWorker } from './executor.worker';

main({
  service: 'executor',
  module: (config) => ExecutorModule.register(config),
  workers: (app) => [app.get(ExecutorWorker)],
  port: (config) => config.metrics.port,
});
