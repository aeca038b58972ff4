import { type DynamicModule, Module } from '@nestjs/common';
import { APP_GUARD, APP_INTERCEPTOR } from '@nestjs/core';
import { CqrsModule } from '@nestjs/cqrs';
import type { MedicConfig } from '@medic/config';
import { MedicCoreModule } from '@medic/eventlog';
import { ApiKeyGuard } from './auth/api-key.guard';
import { ConfigController } from './config/config.controller';
import { ReportsController } from './reports/reports.controller';
import { ThresholdsInForce } from './config/thresholds-in-force';
import { GetDecisionHandler, ListDecisionsHandler } from './decisions/decision.queries';
import { DeadLettersController } from './dead-letters/dead-letters.controller';
import { DecisionsController } from './decisions/decisions.controller';
import { GATEWAY_SCHEMA } from './gateway.projections';
import { GatewayWorker } from './gateway.worker';
import { HealthController } from './health/health.controller';
import { BacklogMetrics } from './health/backlog.metrics';
import { SystemProbe } from './health/system.probe';
import { DeadlineInterceptor } from './http/deadline.interceptor';
import { EnvelopeInterceptor } from './http/envelope.interceptor';
import { ModuleStandings } from './modules/module-standings';
import { ModulesController } from './modules/modules.controller';
import { CommandSender } from './queue/command-sender';
import { LoggedCommands } from './queue/logged-commands';
import { ActOnQueueItemHandler } from './queue/queue.commands';
import { QueueController } from './queue/queue.controller';
import { OutcomesController } from './outcomes/outcomes.controller';
import { ResurrectionsController } from './resurrections/resurrections.controller';
import { RollBackResurrectionHandler } from './resurrections/rollback.command';
import { QueueMetrics } from './queue/queue.metrics';
import { GetCommandStatusHandler, GetQueueItemHandler, ListQueueHandler } from './queue/queue.queries';
import { VerdictWaiter } from './queue/verdict-waiter';

@Module({})
export class GatewayModule {
  static register(config: MedicConfig): DynamicModule {
    return {
      module: GatewayModule,
      imports: [
        MedicCoreModule.forRoot({ service: 'gateway', config, database: { schema: GATEWAY_SCHEMA.schema, entities: [...GATEWAY_SCHEMA.entities], ddl: GATEWAY_SCHEMA.ddl } }),
        CqrsModule.forRoot(),
      ],
      controllers: [HealthController, DecisionsController, QueueController, ResurrectionsController, OutcomesController, ModulesController, DeadLettersController, ConfigController, ReportsController],
      providers: [
        ListDecisionsHandler,
        GetDecisionHandler,
        ListQueueHandler,
        GetQueueItemHandler,
        GetCommandStatusHandler,
        ActOnQueueItemHandler,
        RollBackResurrectionHandler,
        LoggedCommands,
        CommandSender,
        ThresholdsInForce,
        VerdictWaiter,
        QueueMetrics,
        SystemProbe,
        BacklogMetrics,
        ModuleStandings,
        GatewayWorker,
        { provide: APP_GUARD, useClass: ApiKeyGuard },
        // The first is the outermost: the deadline covers the whole answer.
        { provide: APP_INTERCEPTOR, useClass: DeadlineInterceptor },
        { provide: APP_INTERCEPTOR, useClass: EnvelopeInterceptor },
      ],
    };
  }
}
