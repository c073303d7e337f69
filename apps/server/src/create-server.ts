import type { ModuleMetadata } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AppConfig } from '@switchyard/config';
import { toErrorBody } from '@switchyard/errors';
import { NestPinoLogger, type Logger } from '@switchyard/observability';
import { AppModule } from './app.module';
import { configureApp, requestIdFrom } from './configure-app';

/** Builds the control-plane app (not yet listening). Used by main.ts and the test harness. */
export async function createServer(config: AppConfig, logger: Logger, extra: NonNullable<ModuleMetadata['imports']> = []): Promise<NestFastifyApplication> {
  const adapter = new FastifyAdapter({
    loggerInstance: logger,
    bodyLimit: config.bodyLimitBytes,
    genReqId: (request: { headers: Record<string, string | string[] | undefined> }) => requestIdFrom(request),
    // Flag and segment keys are up to 128 characters; Fastify's default (100) made longer ones unreachable.
    routerOptions: { maxParamLength: 256 },
    // Off unless configured: X-Forwarded-For would otherwise let any client choose its own address.
    trustProxy: config.trustProxy.length > 0 ? config.trustProxy : false,
    // The router refuses a malformed URL before any hook or Nest filter runs; answer in the one error shape.
    frameworkErrors: (error: Error, request: FastifyRequest, reply: FastifyReply) => {
      const { status, body } = toErrorBody(error, String(request.id));
      void reply.status(status).header('x-request-id', request.id).header('content-type', 'application/json; charset=utf-8').send(body);
    },
  });
  const app = await NestFactory.create<NestFastifyApplication>(AppModule.forRoot(config, logger, extra), adapter, {
    logger: new NestPinoLogger(logger.child({ component: 'nest' })),
    bufferLogs: false,
    // Throw instead of process.exit so callers (main.ts, tests) decide what a failed start means.
    abortOnError: false,
  });
  configureApp(app);
  return app;
}
