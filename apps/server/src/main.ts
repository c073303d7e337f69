import 'reflect-metadata';
import { ConfigError, loadProcessConfig, type AppConfig } from '@switchyard/config';
import { createLogger } from '@switchyard/observability';
import { createServer } from './create-server';

async function main(): Promise<void> {
  let config: AppConfig;
  try {
    config = loadProcessConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`switchyard: ${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }
  const logger = createLogger(config.logLevel);
  const started = Date.now();
  const app = await createServer(config, logger);
  await app.listen({ port: config.port, host: config.host });
  logger.info(
    {
      url: await app.getUrl(),
      database: config.database.url ? 'postgresql' : 'embedded',
      store: config.redis.url ? 'redis' : 'memory',
      startupMs: Date.now() - started,
    },
    'switchyard server ready',
  );
  // Close cleanly on a stop signal: in-flight requests finish and embedded PGlite flushes to disk.
  let stopping = false;
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      if (stopping) return;
      stopping = true;
      logger.info({ signal }, 'shutting down');
      const force = setTimeout(() => process.exit(1), 10_000);
      force.unref();
      app.close().then(
        () => process.exit(0),
        (error: unknown) => {
          logger.error({ err: error }, 'shutdown failed');
          process.exit(1);
        },
      );
    });
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`switchyard: failed to start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
