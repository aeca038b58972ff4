import { type DynamicModule, Module } from '@nestjs/common';
import type { MedicConfig } from '@medic/config';
import { MedicCoreModule } from '@medic/eventlog';
import { BackoffHandlers } from './backoff/backoff.handlers';
import { ExecutorHandlers } from './executor.handlers';
import { EXECUTOR_DDL, EXECUTOR_ENTITIES } from './executor.schema';
import { ExecutorWorker } from './executor.worker';
import { RollbackHandlers } from './rollback.handlers';

@Module({})
export class ExecutorModule {
  static register(config: MedicConfig): DynamicModule {
    return {
      module: ExecutorModule,
      imports: [MedicCoreModule.forRoot({ service: 'executor', config, database: { schema: 'executor', entities: EXECUTOR_ENTITIES, ddl: EXECUTOR_DDL } })],
      controllers: [ExecutorHandlers, BackoffHandlers, RollbackHandlers],
      providers: [ExecutorWorker],
    };
  }
}
