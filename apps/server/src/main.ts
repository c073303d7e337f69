import 'reflect-metadata';
import { ConfigError, loadProcessConfig, type AppConfig } from '@switchyard/config';
import { createLogger, defaultLogFormat, writeThroughLog } from '@switchyard/observability';
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
  // A person at a terminal gets readable lines; containers and NODE_ENV=production keep JSON.
  const format = config.logFormat ?? defaultLogFormat(process.stdout.isTTY, config.nodeEnv);
  const logger = createLogger(config.logLevel, 'switchyard', format);
  const started = Date.now();
  const notice = holdBootstrapNotice();
  let app: Awaited<ReturnType<typeof createServer>>;
  try {
    app = await createServer(config, logger);
    await app.listen({ port: config.port, host: config.host });
  } catch (error) {
    // The token is stored once it is created: a failed start must still show it.
    notice.flush((text) => process.stdout.write(text));
    throw error;
  } finally {
    notice.release();
  }
  const ui = uiAddress(await app.getUrl(), config.host);
  logger.info(
    {
      url: ui,
      database: config.database.url ? 'postgresql' : 'embedded',
      store: config.redis.enabled ? 'redis' : 'memory',
      startupMs: Date.now() - started,
    },
    'switchyard server ready',
  );
  // Last, where a newcomer looks: the bootstrap token (first start only) and the address to open.
  const token = notice.flush((text) => writeThroughLog(logger, text));
  if (format === 'pretty') {
    const signIn = token ? 'sign in with the token above' : 'sign in with your admin token (SWITCHYARD_ADMIN_TOKEN or the one printed at the first start)';
    writeThroughLog(logger, `  Switchyard is ready: open ${ui} and ${signIn}.\n\n`);
  }
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

/**
 * The auth module prints a first start's bootstrap admin token while the app initialises, where
 * the rest of the start-up output would bury it. Held back here (only that block; every log line
 * passes) and printed after the ready line instead.
 */
function holdBootstrapNotice(): { release(): void; flush(write: (text: string) => void): boolean } {
  const write = process.stdout.write.bind(process.stdout);
  let held = '';
  process.stdout.write = ((chunk: string | Uint8Array, ...rest: unknown[]): boolean => {
    const text = typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
    if (!text.includes('created the bootstrap admin token')) return (write as (...args: unknown[]) => boolean)(chunk, ...rest);
    held += text;
    const done = rest.find((arg) => typeof arg === 'function') as (() => void) | undefined;
    done?.();
    return true;
  }) as typeof process.stdout.write;
  return {
    release: () => {
      process.stdout.write = write;
    },
    /** Prints what was held (once); whether there was anything. */
    flush: (out) => {
      const text = held;
      held = '';
      if (text) out(text);
      return text !== '';
    },
  };
}

/** The address a person opens: a wildcard bind (0.0.0.0, ::) is reached as localhost. */
function uiAddress(listening: string, host: string): string {
  const url = new URL(listening);
  if (host === '0.0.0.0' || host === '::' || url.hostname === '[::]' || url.hostname === '0.0.0.0') url.hostname = 'localhost';
  return url.toString();
}

main().catch((error: unknown) => {
  process.stderr.write(`switchyard: failed to start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
