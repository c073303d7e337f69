import { Inject, Injectable, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import type { Logger } from 'pino';
import { APP_CONFIG, type AppConfig } from '@switchyard/config';
import { LOGGER } from '@switchyard/observability';
import { ReleasesService } from '../releases/releases.service';

/**
 * A CI job that dies (killed agent, lost network) never reports its stage's end. Every replica
 * sweeps for running releases silent longer than RELEASE_ABANDON_AFTER and marks them abandoned;
 * the claim is row-locked, so replicas never abandon one release twice.
 */
@Injectable()
export class ReleaseAbandonSweeper implements OnApplicationBootstrap, OnModuleDestroy {
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;

  constructor(
    private readonly releases: ReleasesService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  /** A quarter of the timeout (at least 100 ms, at most 30 s): abandonment lands at most 25 % late. */
  get intervalMs(): number {
    return Math.min(30_000, Math.max(100, Math.floor(this.config.releaseAbandonAfterMs / 4)));
  }

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => {
      this.running ??= this.sweep().finally(() => (this.running = undefined));
    }, this.intervalMs);
    this.timer.unref();
  }

  // Before the database closes (its hook is onApplicationShutdown), so no sweep runs against a closed pool.
  async onModuleDestroy(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  async sweep(): Promise<void> {
    try {
      const abandoned = await this.releases.abandonSilent(this.config.releaseAbandonAfterMs);
      for (const release of abandoned) {
        this.logger.warn(
          { releaseId: release.id, service: release.service, lastReportAt: release.lastReportAt },
          'release abandoned: its reporter went silent',
        );
      }
    } catch (error) {
      this.logger.error({ err: error }, 'abandon sweep failed');
    }
  }
}
