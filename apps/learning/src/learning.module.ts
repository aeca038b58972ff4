import { type DynamicModule, Module } from '@nestjs/common';
import type { MedicConfig } from '@medic/config';
import { MedicCoreModule } from '@medic/eventlog';
import { LEARNING_DDL, LEARNING_ENTITIES } from './learning.schema';
import { LearningWorker } from './learning.worker';

@Module({})
export class LearningModule {
  static register(config: MedicConfig): DynamicModule {
    return {
      module: LearningModule,
      imports: [MedicCoreModule.forRoot({ service: 'learning', config, database: { schema: 'learning', entities: LEARNING_ENTITIES, ddl: LEARNING_DDL } })],
      providers: [LearningWorker],
    };
  }
}
