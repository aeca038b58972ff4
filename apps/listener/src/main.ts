import 'reflect-metadata';
import { main } from '@medic/eventlog';
import { ListenerModule } from './listener.module';
import { ListenerWorker } from './listener.worker';

main({
  service: 'listener',
  module: (config) => ListenerModule.register(config),
  workers: (app) => [app.get(ListenerWorker)],
  port: (config) => config.metrics.port,
});
