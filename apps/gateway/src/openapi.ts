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
    .build();
  return SwaggerModule.createDocument(app, config);
}

export function serveOpenApi(app: INestApplication): void {
  const document = buildOpenApi(app);
  SwaggerModule.setup('api/docs', app, document, { jsonDocumentUrl: 'api/v1/openapi.json' });
}
