import { Injectable } from '@nestjs/common';
import { Database } from '@switchyard/persistence';
import type { SqlRunner } from './sql-runner';

export interface TokenRow {
  id: string;
  name: string;
  token_prefix: string;
  scopes: string[];
  allowed_origins: string[] | null;
  flag_filter: string | null;
  created_by: string;
  created_at: Date;
  last_used_at: Date | null;
  revoked_at: Date | null;
}

export interface TokenInsert {
  id: string;
  name: string;
  tokenHash: string;
  tokenPrefix: string;
  scopes: string[];
  createdBy: string;
  allowedOrigins: string[];
  flagFilter: string | null;
}

/**
 * api_tokens in SQL that runs on PostgreSQL and PGlite alike. A method given a manager runs in
 * that transaction; the others run one statement on the Database.
 */
@Injectable()
export class TokensRepository {
  constructor(private readonly db: Database) {}

  async existsWithHash(m: SqlRunner, hash: string): Promise<boolean> {
    const rows = (await m.query('SELECT 1 FROM api_tokens WHERE token_hash = $1', [hash])) as unknown[];
    return rows.length > 0;
  }

  async anyActive(m: SqlRunner): Promise<boolean> {
    const active = (await m.query('SELECT 1 FROM api_tokens WHERE revoked_at IS NULL LIMIT 1')) as unknown[];
    return active.length > 0;
  }

  list(): Promise<TokenRow[]> {
    return this.db.query<TokenRow>('SELECT * FROM api_tokens ORDER BY created_at DESC');
  }

  async find(id: string): Promise<TokenRow | undefined> {
    const rows = await this.db.query<TokenRow>('SELECT * FROM api_tokens WHERE id::text = $1', [id]);
    return rows[0];
  }

  /** The live token with this hash, if any (the caller compares the hash in constant time). */
  async findActiveByHash(hash: string): Promise<(TokenRow & { token_hash: string }) | undefined> {
    const rows = await this.db.query<TokenRow & { token_hash: string }>('SELECT * FROM api_tokens WHERE token_hash = $1 AND revoked_at IS NULL', [hash]);
    return rows[0];
  }

  async insert(m: SqlRunner, token: TokenInsert): Promise<void> {
    await m.query(
      'INSERT INTO api_tokens (id, name, token_hash, token_prefix, scopes, created_by, allowed_origins, flag_filter) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)',
      [token.id, token.name, token.tokenHash, token.tokenPrefix, token.scopes, token.createdBy, token.allowedOrigins, token.flagFilter],
    );
  }

  async revoke(m: SqlRunner, id: string): Promise<void> {
    await m.query('UPDATE api_tokens SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL', [id]);
  }

  /** Every browser origin some live client token allows (a token with none allows no browser). */
  async activeClientOrigins(): Promise<string[]> {
    const rows = await this.db.query<{ origin: string }>(
      "SELECT DISTINCT unnest(allowed_origins) AS origin FROM api_tokens WHERE revoked_at IS NULL AND allowed_origins <> '{}'",
    );
    return rows.map((row) => row.origin);
  }

  async touch(id: string): Promise<void> {
    await this.db.query('UPDATE api_tokens SET last_used_at = now() WHERE id = $1', [id]);
  }
}
