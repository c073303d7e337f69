import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';

/** The token lineage four-eyes walks, read inside the caller's transaction. */
@Injectable()
export class ApprovalPartiesRepository {
  /** Who created the tokens named `tokenName` (names are not unique, so possibly several). */
  async tokenCreators(manager: EntityManager, tokenName: string): Promise<string[]> {
    const rows: Array<{ created_by: string }> = await manager.query('SELECT DISTINCT created_by FROM api_tokens WHERE name = $1', [tokenName]);
    return rows.map((row) => row.created_by);
  }
}
