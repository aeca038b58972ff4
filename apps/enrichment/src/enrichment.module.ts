import { type DynamicModule, Module } from '@nestjs/common';
import type { MedicConfig } from '@medic/config';
import { MedicCoreModule } from '@medic/eventlog';
import { CircuitAnnouncer } from './circuit-announcer';
import { EnrichmentHandlers } from './enrichment.handlers';
import { EnrichmentWorker } from './enrichment.worker';
import { ReportHandlers } from './report.handlers';
import { SIEM_PROVIDER } from './siem.provider';

@Module({})
export class EnrichmentModule {
  static register(config: MedicConfig): DynamicModule {
    return {
      module: EnrichmentModule,
      // No database: its steps are stateless (what they learn lives in the SIEM and the log), so it
      // keeps enriching while Postgres is down.
      imports: [MedicCoreModule.forRoot({ service: 'enrichment', config })],
      controllers: [EnrichmentHandlers, ReportHandlers],
      providers: [CircuitAnnouncer, SIEM_PROVIDER, EnrichmentWorker],
    };
  }
}
