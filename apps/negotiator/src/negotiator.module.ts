import { type DynamicModule, Module } from '@nestjs/common';
import type { MedicConfig } from '@medic/config';
import { MedicCoreModule } from '@medic/eventlog';
import { NegotiatorHandlers } from './negotiator.handlers';
import { NEGOTIATOR_DDL, NEGOTIATOR_ENTITIES } from './negotiator.schema';
import { NegotiatorWorker } from './negotiator.worker';

@Module({})
export class NegotiatorModule {
  static register(config: MedicConfig): DynamicModule {
    return {
      module: NegotiatorModule,
      imports: [MedicCoreModule.forRoot({ service: 'negotiator', config, database: { schema: 'negotiator', entities: NEGOTIATOR_ENTITIES, ddl: NEGOTIATOR_DDL } })],
      controllers: [NegotiatorHandlers],
      providers: [NegotiatorWorker],
    };
  }
}
