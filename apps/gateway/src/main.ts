import 'reflect-metadata';
import type { Server } from 'node:http';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { Registry } from 'prom-client';
import { readWebTls } from '@medic/config';
import { main, METRICS } from '@medic/eventlog';
import { GatewayModule } from './gateway.module';
import { GatewayWorker } from './gateway.worker';
import { limitRequests } from './http/client-limits';
import { requestDeadlineMs } from './http/deadline.interceptor';
import { boundClients, JSON_BODIES, requireJsonBodies, securityHeaders } from './http/http-edge';
import { traceRequests } from './http/request-spans';
import { serveOpenApi } from './openapi';

main({
  service: 'gateway',
  module: (config) => GatewayModule.register(config),
  workers: (app) => [app.get(GatewayWorker)],
  port: (config) => config.interfaces.web.port,
  host: (config) => config.interfaces.web.host,
  httpsOptions: (config) => {
    const tls = readWebTls(config);
    if (tls === null) return null;
    // Asked for, not required at the handshake: the API key guard answers a request without one with a 401 that says why.
    const mutual = tls.clientCa === null ? {} : { ca: tls.clientCa, requestCert: true, rejectUnauthorized: false };
    // A client that never finishes its handshake is dropped within the request deadline too.
    return { cert: tls.cert, key: tls.key, handshakeTimeout: requestDeadlineMs(config), ...mutual };
  },
  configure: (app, config) => {
    app.setGlobalPrefix('api/v1', { exclude: ['metrics', 'ready'] });
    boundClients(app.getHttpServer() as Server, requestDeadlineMs(config));
    app.use(traceRequests);
    app.use(securityHeaders);
    app.use(limitRequests(config, app.get<Registry>(METRICS)));
    app.use(requireJsonBodies);
    // In place of Nest's default JSON parser (its options type leaves `verify` to Nest's raw-body option, which is off).
    (app as NestExpressApplication).useBodyParser('json', JSON_BODIES);
    serveOpenApi(app);
  },
});
