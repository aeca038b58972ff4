import { type DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER, APP_GUARD, APP_INTERCEPTOR } from '@nestjs/core';
import { CqrsModule } from '@nestjs/cqrs';
import type { MedicConfig } from '@medic/config';
import { MedicCoreModule } from '@medic/eventlog';
import { ApiKeyGuard } from './auth/api-key.guard';
import { GetDecisionHandler, ListDecisionsHandler } from './decisions/decision.queries';
import { DecisionsController } from './decisions/decisions.controller';
import { GATEWAY_DDL, KillView } from './decisions/kill-view.entity';
import { GatewayWorker } from './gateway.worker';
import { HealthController } from './health/health.controller';
import { SystemProbe } from './health/system.probe';
import { EnvelopeInterceptor } from './http/envelope.interceptor';
import { ErrorEnvelopeFilter } from './http/error.filter';

@Module({})
export class GatewayModule {
  static register(config: MedicConfig): DynamicModule {
    return {
      module: GatewayModule,
      imports: [
        MedicCoreModule.forRoot({ service: 'gateway', config, database: { schema: 'gateway', entities: [KillView], ddl: GATEWAY_DDL } }),
        CqrsModule.forRoot(),
      ],
      controllers: [HealthController, DecisionsController],
      providers: [
        ListDecisionsHandler,
        GetDecisionHandler,
        SystemProbe,
        GatewayWorker,
        { provide: APP_GUARD, useClass: ApiKeyGuard },
        { provide: APP_INTERCEPTOR, useClass: EnvelopeInterceptor },
        { provide: APP_FILTER, useClass: ErrorEnvelopeFilter },
      ],
    };
  }
}
