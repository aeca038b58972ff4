import { Controller, Get, Inject } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { Public, RawResponse } from './public';
import { SERVICE_NAME } from './tokens';

/**
 * `GET /ready` on every service: 200 once the service is up and serving. It is
 * how `medic up` and the tests know a service has started, whether or not it
 * serves metrics (`metrics.enabled`).
 */
@ApiExcludeController()
@Public()
@RawResponse()
@Controller()
export class ReadyController {
  constructor(@Inject(SERVICE_NAME) private readonly service: string) {}

  @Get('ready')
  ready(): { readonly service: string; readonly status: 'ready' } {
    return { service: this.service, status: 'ready' };
  }
}
