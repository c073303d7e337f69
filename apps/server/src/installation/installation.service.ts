import { randomUUID } from 'node:crypto';
import { Inject, Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import type { Logger } from 'pino';
import { LOGGER } from '@switchyard/observability';
import { Database } from '@switchyard/persistence';
import { InstallationRepository } from './installation.repository';

/** Gives each installation a stable id on first start; it survives restarts because it lives in the record. */
@Injectable()
export class InstallationService implements OnApplicationBootstrap {
  private id?: string;

  constructor(
    private readonly db: Database,
    private readonly installation: InstallationRepository,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    this.id = await this.db.transaction(async (manager) => {
      const existing = await this.installation.existingId(manager);
      if (existing !== undefined) return existing;
      const id = randomUUID();
      await this.installation.insert(manager, id);
      this.logger.info({ installationId: id }, 'new installation');
      return id;
    });
  }

  installationId(): string {
    if (!this.id) throw new Error('installation not loaded yet');
    return this.id;
  }
}
