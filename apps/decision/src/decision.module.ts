import { type DynamicModule, Module } from '@nestjs/common';
import type { MedicConfig } from '@medic/config';
import { MedicCoreModule } from '@medic/eventlog';
import { DECISION_DDL, DECISION_ENTITIES } from './decision.schema';
import { DecisionWorker } from './decision.worker';
import { KillWorkflowHandlers } from './workflow/kill-workflow.handlers';

@Module({})
export class DecisionModule {
  static register(config: MedicConfig): DynamicModule {
    return {
      module: DecisionModule,
      imports: [MedicCoreModule.forRoot({ service: 'decision', config, database: { schema: 'decision', entities: DECISION_ENTITIES, ddl: DECISION_DDL } })],
      controllers: [KillWorkflowHandlers],
      providers: [DecisionWorker],
    };
  }
}
