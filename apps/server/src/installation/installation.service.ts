import { randomUUID } from 'node:crypto';
import { Inject, Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import type { Logger } from 'pino';
import { LOGGER } from '@switchyard/observability';
import { Database } from '@switchyard/persistence';

/** Gives each installation a stable id on first start; it survives restarts because it lives in the record. */
@Injectable()
export class InstallationService implements OnApplicationBootstrap {
  private id?: string;

  constructor(
    private readonly db: Database,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    this.id = await this.db.transaction(async (manager) => {
      const rows: Array<{ id: string }> = await manager.query('SELECT id FROM installation LIMIT 1');
      if (rows.length > 0) return rows[0].id;
      const id = randomUUID();
      await manager.query('INSERT INTO installation (id) VALUES ($1)', [id]);
      this.logger.info({ installationId: id }, 'new installation');
      return id;
    });
  }

  installationId(): string {
    if (!this.id) throw new Error('installation not loaded yet');
    return this.id;
  }
}
