import 'reflect-metadata';
import { main } from '@medic/eventlog';
import { NegotiatorModule } from './negotiator.module';
import { NegotiatorWorker } from './negotiator.worker';

main({
  service: 'negotiator',
  module: (config) => NegotiatorModule.register(config),
  workers: (app) => [app.get(NegotiatorWorker)],
  port: (config) => config.metrics.port,
});
