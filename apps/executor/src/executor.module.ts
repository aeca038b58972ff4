import { type DynamicModule, Module } from '@nestjs/common';
import type { MedicConfig } from '@medic/config';
import { MedicCoreModule } from '@medic/eventlog';
import { ExecutorHandlers } from './executor.handlers';
import { ContainerSnapshot, EXECUTOR_DDL, KillModule } from './executor.schema';
import { ExecutorWorker } from './executor.worker';

@Module({})
export class ExecutorModule {
  static register(config: MedicConfig): DynamicModule {
    return {
      module: ExecutorModule,
      imports: [MedicCoreModule.forRoot({ service: 'executor', config, database: { schema: 'executor', entities: [KillModule, ContainerSnapshot], ddl: EXECUTOR_DDL } })],
      controllers: [ExecutorHandlers],
      providers: [ExecutorWorker],
    };
  }
}
