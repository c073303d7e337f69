import { Injectable } from '@nestjs/common';
import { Database } from '@switchyard/persistence';

/** What a client token's flag filter looks at: a live flag's tags and its client-side mark. */
export interface ClientFlagMarks {
  key: string;
  tags: string[];
  clientSide: boolean;
}

/**
 * The flags table as browser access reads it. One statement on the Database (outside any
 * transaction), so a background refresh shares its outage tracking with every other read.
 */
@Injectable()
export class ClientCatalogRepository {
  constructor(private readonly db: Database) {}

  /** Every flag not archived, by key. */
  async marks(): Promise<ClientFlagMarks[]> {
    const rows = await this.db.query<{ key: string; tags: string[]; client_side: boolean }>(
      'SELECT key, tags, client_side FROM flags WHERE NOT archived ORDER BY key',
    );
    return rows.map((row) => ({ key: row.key, tags: row.tags, clientSide: row.client_side }));
  }
}
