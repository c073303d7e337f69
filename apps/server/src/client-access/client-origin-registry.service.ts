import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { Logger } from 'pino';
import { LOGGER } from '@switchyard/observability';
import { TokensRepository } from '@switchyard/auth';

const REFRESH_MS = 5_000;

/**
 * Every origin some active client token allows. A CORS preflight carries no Authorization header,
 * so it can only be answered against this union; the real response is then checked against the
 * calling token's own list. Refreshed in the background (and right after a token is created), so
 * preflights never wait for PostgreSQL.
 */
@Injectable()
export class ClientOriginRegistry implements OnApplicationBootstrap, OnApplicationShutdown {
  private origins = new Set<string>();
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly tokens: TokensRepository,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.refresh();
    this.timer = setInterval(() => void this.refresh(), REFRESH_MS);
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
  }

  has(origin: string): boolean {
    return this.origins.has(origin);
  }

  async refresh(): Promise<void> {
    try {
      this.origins = new Set(await this.tokens.activeClientOrigins());
    } catch (error) {
      this.logger.warn({ err: error }, 'could not refresh the browser origins of client tokens; keeping the last ones');
    }
  }
}
