import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';

/** SQL for the one-row `installation` table. Methods take the caller's manager so they join its transaction. */
@Injectable()
export class InstallationRepository {
  async existingId(manager: EntityManager): Promise<string | undefined> {
    const rows: Array<{ id: string }> = await manager.query('SELECT id FROM installation LIMIT 1');
    return rows[0]?.id;
  }

  async insert(manager: EntityManager, id: string): Promise<void> {
    await manager.query('INSERT INTO installation (id) VALUES ($1)', [id]);
  }
}
