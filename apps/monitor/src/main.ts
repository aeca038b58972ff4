import 'reflect-metadata';
import { main } from '@medic/eventlog';
import { MonitorModule } from './monitor.module';
import { MonitorWorker } from './monitor.worker';

main({
  service: 'monitor',
  module: (config) => MonitorModule.register(config),
  workers: (app) => [app.get(MonitorWorker)],
  port: (config) => config.metrics.port,
});
