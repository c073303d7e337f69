import { randomUUID } from 'node:crypto';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppErrorFilter, ValidationFailedError } from '@switchyard/errors';
import { MetricsService } from '@switchyard/observability';
import { registerClientCors } from './client-access/client-cors';
import { MAX_JSON_DEPTH, jsonDepthExceeds, nulCharacterPath } from './hostile-input';
import { addNamedSchemas } from './http';
import { SERVER_VERSION } from './installation/installation.controller';

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** Accepts a caller's X-Request-Id when it is sane, so one id follows a request across services. */
export function requestIdFrom(request: { headers: Record<string, string | string[] | undefined> }): string {
  const header = request.headers['x-request-id'];
  const value = Array.isArray(header) ? header[0] : header;
  return value && REQUEST_ID.test(value) ? value : randomUUID();
}

/**
 * The one place that sets pipes, filters, hooks and docs. main.ts and every test call it,
 * so tests exercise exactly the production pipeline.
 */
export function configureApp(app: NestFastifyApplication): void {
  const fastify = app.getHttpAdapter().getInstance() as unknown as FastifyInstance;
  const metrics = app.get(MetricsService);

  app.useGlobalFilters(new AppErrorFilter());

  // Depth is checked on the raw bytes before JSON.parse, so no DTO transform, schema or evaluator
  // ever recurses into a body deep enough to overflow the stack.
  const parseJson = fastify.getDefaultJsonParser('error', 'error');
  app.useBodyParser('application/json', {}, (request, body, done) => {
    if (jsonDepthExceeds(body)) {
      done(new ValidationFailedError([{ path: '(body)', problem: `must not nest deeper than ${MAX_JSON_DEPTH} levels` }]), undefined);
      return;
    }
    void parseJson(request as FastifyRequest, body.toString('utf8'), done);
  });
  // NUL cannot be stored by PostgreSQL: refuse it in any path parameter, query field or body field.
  fastify.addHook('preValidation', (request: FastifyRequest, _reply: FastifyReply, done: (error?: Error) => void) => {
    const path = nulCharacterPath(request.params) ?? nulCharacterPath(request.query) ?? nulCharacterPath(request.body);
    done(path === undefined ? undefined : new ValidationFailedError([{ path, problem: 'must not contain NUL characters' }]));
  });

  fastify.addHook('onRequest', (request: FastifyRequest, reply: FastifyReply, done: () => void) => {
    void reply.header('x-request-id', request.id);
    done();
  });
  // Browsers evaluate with client tokens, from the origins each token allows; everything else stays same-origin.
  registerClientCors(app);
  fastify.addHook('onResponse', (request: FastifyRequest, reply: FastifyReply, done: () => void) => {
    // The route template, never the raw URL, keeps label cardinality bounded.
    const route = request.routeOptions?.url ?? 'unmatched';
    metrics.httpDuration.observe({ method: request.method, route, status: String(reply.statusCode) }, reply.elapsedTime / 1000);
    done();
  });
  // Request schemas are zod's (validated by each handler through parseBody); named ones join components here.
  const document = addNamedSchemas(
    SwaggerModule.createDocument(
      app,
      new DocumentBuilder()
        .setTitle('Switchyard API')
        .setDescription(
          'Feature flags, deploys and dark launches. Errors always have the shape {"error":{"code","message","details":[{"path","problem"}],"requestId"}}.',
        )
        .setVersion(SERVER_VERSION)
        .addBearerAuth()
        .build(),
    ),
  );
  SwaggerModule.setup('api/docs', app, document, { jsonDocumentUrl: 'api/openapi.json', yamlDocumentUrl: 'api/openapi.yaml' });
}
