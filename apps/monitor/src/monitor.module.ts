import { type DynamicModule, Module } from '@nestjs/common';
import type { MedicConfig } from '@medic/config';
import { MedicCoreModule } from '@medic/eventlog';
import { MonitorHandlers } from './monitor.handlers';
import { MONITOR_DDL } from './monitor.schema';
import { MonitorWorker } from './monitor.worker';

@Module({})
export class MonitorModule {
  static register(config: MedicConfig): DynamicModule {
    return {
      module: MonitorModule,
      imports: [MedicCoreModule.forRoot({ service: 'monitor', config, database: { schema: 'monitor', entities: [], ddl: MONITOR_DDL } })],
      controllers: [MonitorHandlers],
      providers: [MonitorWorker],
    };
  }
}
