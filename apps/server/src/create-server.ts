import type { ModuleMetadata } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import type { AppConfig } from '@switchyard/config';
import { NestPinoLogger, type Logger } from '@switchyard/observability';
import { AppModule } from './app.module';
import { configureApp, requestIdFrom } from './configure-app';

/** Builds the control-plane app (not yet listening). Used by main.ts and the test harness. */
export async function createServer(config: AppConfig, logger: Logger, extra: NonNullable<ModuleMetadata['imports']> = []): Promise<NestFastifyApplication> {
  const adapter = new FastifyAdapter({
    loggerInstance: logger,
    bodyLimit: config.bodyLimitBytes,
    genReqId: (request: { headers: Record<string, string | string[] | undefined> }) => requestIdFrom(request),
    trustProxy: true,
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
