import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { Inject, Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import type { Logger } from 'pino';
import { AuditService } from '@switchyard/audit';
import { APP_CONFIG, type AppConfig } from '@switchyard/config';
import { NotFoundError } from '@switchyard/errors';
import { LOGGER } from '@switchyard/observability';
import { Database } from '@switchyard/persistence';
import type { Principal } from './principal';

export interface TokenView {
  id: string;
  name: string;
  prefix: string;
  scopes: string[];
  createdBy: string;
  createdAt: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
}

interface TokenRow {
  id: string;
  name: string;
  token_prefix: string;
  scopes: string[];
  created_by: string;
  created_at: Date;
  last_used_at: Date | null;
  revoked_at: Date | null;
}

const CACHE_TTL_MS = 5_000;
const LAST_USED_EVERY_MS = 60_000;

export function hashToken(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

function newSecret(): string {
  return `sy_${randomBytes(24).toString('base64url')}`;
}

/**
 * API tokens: only a SHA-256 hash is stored (the secrets are 192-bit random, so a slow hash adds
 * nothing), the secret is shown once. Lookups are cached briefly so the SDK/OFREP hot paths do not
 * hit PostgreSQL per request; revocation reaches other replicas within the cache TTL.
 */
@Injectable()
export class TokensService implements OnApplicationBootstrap {
  private readonly cache = new Map<string, { principal: Principal | null; at: number }>();
  private readonly lastUsedWritten = new Map<string, number>();

  constructor(
    private readonly db: Database,
    private readonly audit: AuditService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const configured = this.config.adminToken;
    await this.db.transaction(async (manager) => {
      if (configured) {
        const rows: unknown[] = await manager.query('SELECT 1 FROM api_tokens WHERE token_hash = $1', [hashToken(configured)]);
        if (rows.length === 0) await this.insert(manager, 'bootstrap-admin', configured, ['admin'], 'system');
        return;
      }
      const active: unknown[] = await manager.query('SELECT 1 FROM api_tokens WHERE revoked_at IS NULL LIMIT 1');
      if (active.length > 0) return;
      const secret = newSecret();
      await this.insert(manager, 'bootstrap-admin', secret, ['admin'], 'system');
      // Printed once, plainly, so a newcomer can copy it; only its hash is kept.
      process.stdout.write(`\nswitchyard: created the bootstrap admin token (shown once, store it now):\n  ${secret}\n\n`);
      this.logger.warn('created a bootstrap admin token; it was printed to stdout once');
    });
  }

  async create(name: string, scopes: string[], actor: string): Promise<{ token: TokenView; secret: string }> {
    const secret = newSecret();
    const id = await this.db.transaction(async (manager) => {
      const tokenId = await this.insert(manager, name, secret, scopes, actor);
      await this.audit.record(manager, { actor, action: 'token.created', target: `token:${name}`, after: { id: tokenId, name, scopes } });
      return tokenId;
    });
    return { token: await this.get(id), secret };
  }

  async list(): Promise<TokenView[]> {
    const rows = await this.db.query<TokenRow>('SELECT * FROM api_tokens ORDER BY created_at DESC');
    return rows.map(toView);
  }

  async get(id: string): Promise<TokenView> {
    const rows = await this.db.query<TokenRow>('SELECT * FROM api_tokens WHERE id::text = $1', [id]);
    if (rows.length === 0) throw new NotFoundError('token', id);
    return toView(rows[0]);
  }

  async revoke(id: string, actor: string): Promise<TokenView> {
    const token = await this.get(id);
    await this.db.transaction(async (manager) => {
      await manager.query('UPDATE api_tokens SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL', [id]);
      await this.audit.record(manager, { actor, action: 'token.revoked', target: `token:${token.name}`, before: { id, scopes: token.scopes } });
    });
    this.cache.clear();
    return this.get(id);
  }

  /** Resolves a bearer secret to a principal, or null when unknown or revoked. */
  async verify(secret: string): Promise<Principal | null> {
    const hash = hashToken(secret);
    const now = Date.now();
    const cached = this.cache.get(hash);
    if (cached && now - cached.at < CACHE_TTL_MS) {
      if (cached.principal) this.touch(cached.principal.id, now);
      return cached.principal;
    }
    const rows = await this.db.query<TokenRow & { token_hash: string }>('SELECT * FROM api_tokens WHERE token_hash = $1 AND revoked_at IS NULL', [hash]);
    const row = rows[0];
    // Constant-time compare guards against a timing oracle on the index lookup's result.
    const principal: Principal | null =
      row && timingSafeEqual(Buffer.from(row.token_hash), Buffer.from(hash)) ? { kind: 'token', id: row.id, name: row.name, scopes: row.scopes } : null;
    if (this.cache.size > 10_000) this.cache.clear();
    this.cache.set(hash, { principal, at: now });
    if (principal) this.touch(principal.id, now);
    return principal;
  }

  private touch(id: string, now: number): void {
    // At most one write per token per minute, off the request path.
    if (now - (this.lastUsedWritten.get(id) ?? 0) < LAST_USED_EVERY_MS) return;
    this.lastUsedWritten.set(id, now);
    this.db.query('UPDATE api_tokens SET last_used_at = now() WHERE id = $1', [id]).catch((error: unknown) => {
      this.logger.warn({ err: error }, 'could not record token use');
    });
  }

  private async insert(
    manager: { query: (sql: string, params: unknown[]) => Promise<unknown> },
    name: string,
    secret: string,
    scopes: string[],
    createdBy: string,
  ): Promise<string> {
    const id = randomUUID();
    await manager.query('INSERT INTO api_tokens (id, name, token_hash, token_prefix, scopes, created_by) VALUES ($1, $2, $3, $4, $5, $6)', [
      id,
      name,
      hashToken(secret),
      secret.slice(0, 7),
      scopes,
      createdBy,
    ]);
    return id;
  }
}

function toView(row: TokenRow): TokenView {
  return {
    id: row.id,
    name: row.name,
    prefix: row.token_prefix,
    scopes: row.scopes,
    createdBy: row.created_by,
    createdAt: new Date(row.created_at).toISOString(),
    lastUsedAt: row.last_used_at ? new Date(row.last_used_at).toISOString() : null,
    revokedAt: row.revoked_at ? new Date(row.revoked_at).toISOString() : null,
  };
}
