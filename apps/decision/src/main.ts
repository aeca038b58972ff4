import 'reflect-metadata';
import { main } from '@medic/eventlog';
import { DecisionModule } from './decision.module';
import { DecisionWorker } from './decision.worker';

main({
  service: 'decision',
  module: (config) => DecisionModule.register(config),
  workers: (app) => [app.get(DecisionWorker)],
  port: (config) => config.metrics.port,
});
