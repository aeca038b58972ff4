import 'reflect-metadata';
import { main } from '@medic/eventlog';
import { EnrichmentModule } from './enrichment.module';
import { EnrichmentWorker } from './enrichment.worker';

main({
  service: 'enrichment',
  module: (config) => EnrichmentModule.register(config),
  workers: (app) => [app.get(EnrichmentWorker)],
  port: (config) => config.metrics.port,
});
