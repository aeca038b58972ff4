import { Inject, Injectable } from '@nestjs/common';
import { projectionRunners, STEP_DEPS, type LogWorker, type ProjectionRunner, type StepDeps } from '@medic/eventlog';
import { GATEWAY_PROJECTIONS, GATEWAY_STEP } from './gateway.projections';

/** Keeps the gateway's read models (kills and decisions, command verdicts, dead letters) up to date with the log. */
@Injectable()
export class GatewayWorker implements LogWorker {
  private runners: ProjectionRunner[] = [];

  constructor(@Inject(STEP_DEPS) private readonly deps: StepDeps) {}

  async start(): Promise<void> {
    this.runners = await projectionRunners(this.deps, GATEWAY_STEP, GATEWAY_PROJECTIONS);
    await Promise.all(this.runners.map((r) => r.start()));
  }

  async stop(): Promise<void> {
    await Promise.all(this.runners.map((r) => r.stop()));
  }
}
