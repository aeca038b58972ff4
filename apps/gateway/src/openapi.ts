import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';
import { MEDIC_VERSION } from '@medic/observability';

/** The OpenAPI document, served at /api/v1/openapi.json (UI at /api/docs). */
export function buildOpenApi(app: INestApplication): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle('Medic API')
    .setDescription(
      'Operator API of Medic. Every response uses the envelope {success, data, meta: {timestamp, request_id, version}, errors: [{code, message, field}]} (field null when the error is about no one field). ' +
        'Authenticate with `Authorization: Bearer <key>` or `X-API-Key: <key>`; roles are admin > operator > viewer.',
    )
    .setVersion(MEDIC_VERSION)
    .addApiKey({ type: 'apiKey', in: 'header', name: 'X-API-Key' }, 'api-key')
    // Answers any route may give, whatever it does (see the README's REST API section).
    .addGlobalResponse(
      { status: 429, description: '`rate_limited`: over interfaces.web.rate_limit for this API key (or, without a valid key, this address); `Retry-After` says in how many seconds to try again' },
      { status: 503, description: '`unavailable`: Postgres or Kafka could not be reached or did not answer within interfaces.web.request_timeout_seconds; `Retry-After: 5`' },
    )
    .build();
  return SwaggerModule.createDocument(app, config);
}

export function serveOpenApi(app: INestApplication): void {
  const document = buildOpenApi(app);
  SwaggerModule.setup('api/docs', app, document, { jsonDocumentUrl: 'api/v1/openapi.json' });
}
