import 'reflect-metadata';
import { main } from '@medic/eventlog';
import { LearningModule } from './learning.module';
import { LearningWorker } from './learning.worker';

main({
  service: 'learning',
  module: (config) => LearningModule.register(config),
  workers: (app) => [app.get(LearningWorker)],
  port: (config) => config.metrics.port,
});
