import { type DynamicModule, Module } from '@nestjs/common';
import type { MedicConfig } from '@medic/config';
import { MedicCoreModule } from '@medic/eventlog';
import { LISTENER_DDL, LISTENER_ENTITIES } from './listener.schema';
import { ListenerWorker } from './listener.worker';

@Module({})
export class ListenerModule {
  static register(config: MedicConfig): DynamicModule {
    return {
      module: ListenerModule,
      imports: [MedicCoreModule.forRoot({ service: 'listener', config, database: { schema: 'listener', entities: LISTENER_ENTITIES, ddl: LISTENER_DDL } })],
      providers: [ListenerWorker],
    };
  }
}
