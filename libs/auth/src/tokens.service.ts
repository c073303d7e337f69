import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { Inject, Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import type { Logger } from 'pino';
import { AuditService } from '@switchyard/audit';
import { APP_CONFIG, type AppConfig } from '@switchyard/config';
import { NotFoundError } from '@switchyard/errors';
import { LOGGER } from '@switchyard/observability';
import { Database, DatabaseUnavailableError } from '@switchyard/persistence';
import type { TokenView } from './access.contract';
import type { ClientAccess, Principal } from './principal';
import type { SqlRunner } from './sql-runner';
import { TokenVerdicts } from './token-verdicts';
import { TokensRepository, type TokenRow } from './tokens.repository';

export type { TokenView } from './access.contract';

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
 *
 * While PostgreSQL is unreachable, verdicts up to TOKEN_CACHE_MAX_STALE old keep being served (and
 * re-checked in the background), so SDK snapshot, stream and OFREP reads — served from memory — do
 * not stop with the database. A token never seen within that window gets 503, not 401: the server
 * cannot tell. Once PostgreSQL answers, the next check replaces the verdict (a revoked token stops).
 */
@Injectable()
export class TokensService implements OnApplicationBootstrap {
  private readonly verdicts: TokenVerdicts;
  /** One lookup per token hash at a time: a burst of requests shares it. */
  private readonly lookups = new Map<string, Promise<Principal | null>>();
  private readonly lastUsedWritten = new Map<string, number>();
  private staleServedInOutage = 0;

  constructor(
    private readonly db: Database,
    private readonly repository: TokensRepository,
    private readonly audit: AuditService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    this.verdicts = new TokenVerdicts(CACHE_TTL_MS, Math.max(CACHE_TTL_MS, config.tokenCacheMaxStaleMs));
  }

  async onApplicationBootstrap(): Promise<void> {
    const configured = this.config.adminToken;
    await this.db.transaction(async (manager) => {
      if (configured) {
        if (!(await this.repository.existsWithHash(manager, hashToken(configured))))
          await this.insert(manager, 'bootstrap-admin', configured, ['admin'], 'system');
        return;
      }
      if (await this.repository.anyActive(manager)) return;
      const secret = newSecret();
      await this.insert(manager, 'bootstrap-admin', secret, ['admin'], 'system');
      // Printed once, plainly, so a newcomer can copy it; only its hash is kept.
      process.stdout.write(`\nswitchyard: created the bootstrap admin token (shown once, store it now):\n  ${secret}\n\n`);
      this.logger.warn('created a bootstrap admin token; it was printed to stdout once');
    });
  }

  async create(name: string, scopes: string[], actor: string, client?: ClientAccess): Promise<{ token: TokenView; secret: string }> {
    const secret = newSecret();
    const id = await this.db.transaction(async (manager) => {
      const tokenId = await this.insert(manager, name, secret, scopes, actor, client);
      await this.audit.record(manager, { actor, action: 'token.created', target: `token:${name}`, after: { id: tokenId, name, scopes, ...client } });
      return tokenId;
    });
    return { token: await this.get(id), secret };
  }

  async list(): Promise<TokenView[]> {
    return (await this.repository.list()).map(toView);
  }

  async get(id: string): Promise<TokenView> {
    const row = await this.repository.find(id);
    if (!row) throw new NotFoundError('token', id);
    return toView(row);
  }

  async revoke(id: string, actor: string): Promise<TokenView> {
    const token = await this.get(id);
    await this.db.transaction(async (manager) => {
      await this.repository.revoke(manager, id);
      await this.audit.record(manager, { actor, action: 'token.revoked', target: `token:${token.name}`, before: { id, scopes: token.scopes } });
    });
    this.verdicts.forgetAll();
    return this.get(id);
  }

  /**
   * Resolves a bearer secret to a principal, or null when unknown or revoked. Throws
   * DatabaseUnavailableError (503) only when PostgreSQL is unreachable and no usable verdict is known.
   */
  async verify(secret: string): Promise<Principal | null> {
    const hash = hashToken(secret);
    const now = Date.now();
    const fresh = this.verdicts.fresh(hash, now);
    if (fresh) return this.used(fresh.principal, now);
    const known = this.verdicts.usableDuringOutage(hash, now);
    if (known && this.db.unreachableSince !== undefined) {
      // Known outage: do not make the request wait out a timeout; re-check behind its back.
      this.lookup(hash).catch(() => undefined);
      return this.servedStale(known.principal);
    }
    try {
      return this.used(await this.lookup(hash), now);
    } catch (error) {
      if (!(error instanceof DatabaseUnavailableError)) throw error;
      const fallback = this.verdicts.usableDuringOutage(hash, Date.now());
      if (fallback) return this.servedStale(fallback.principal);
      throw error;
    }
  }

  private lookup(hash: string): Promise<Principal | null> {
    const pending = this.lookups.get(hash);
    if (pending) return pending;
    const lookup = this.repository
      .findActiveByHash(hash)
      .then((row) => {
        // Constant-time compare guards against a timing oracle on the index lookup's result.
        const principal: Principal | null =
          row && timingSafeEqual(Buffer.from(row.token_hash), Buffer.from(hash))
            ? { kind: 'token', id: row.id, name: row.name, scopes: row.scopes, ...clientAccessOf(row) }
            : null;
        this.verdicts.record(hash, principal, Date.now());
        if (this.staleServedInOutage > 0) {
          this.logger.info({ staleVerdictsServed: this.staleServedInOutage }, 'database answers again; token verdicts are checked again');
          this.staleServedInOutage = 0;
        }
        return principal;
      })
      .finally(() => this.lookups.delete(hash));
    this.lookups.set(hash, lookup);
    return lookup;
  }

  private servedStale(principal: Principal | null): Principal | null {
    if (this.staleServedInOutage === 0) this.logger.warn('database unreachable; serving last known token verdicts');
    this.staleServedInOutage += 1;
    // No last-used write: it would only queue behind the outage.
    return principal;
  }

  private used(principal: Principal | null, now: number): Principal | null {
    if (principal) this.touch(principal.id, now);
    return principal;
  }

  private touch(id: string, now: number): void {
    // At most one write per token per minute, off the request path.
    if (now - (this.lastUsedWritten.get(id) ?? 0) < LAST_USED_EVERY_MS) return;
    this.lastUsedWritten.set(id, now);
    if (this.db.unreachableSince !== undefined) return;
    this.repository.touch(id).catch((error: unknown) => {
      this.logger.warn({ err: error }, 'could not record token use');
    });
  }

  private async insert(manager: SqlRunner, name: string, secret: string, scopes: string[], createdBy: string, client?: ClientAccess): Promise<string> {
    const id = randomUUID();
    await this.repository.insert(manager, {
      id,
      name,
      tokenHash: hashToken(secret),
      tokenPrefix: secret.slice(0, 7),
      scopes,
      createdBy,
      allowedOrigins: client?.allowedOrigins ?? [],
      flagFilter: client?.flagFilter ?? null,
    });
    return id;
  }
}

function toView(row: TokenRow): TokenView {
  return {
    id: row.id,
    name: row.name,
    prefix: row.token_prefix,
    scopes: row.scopes,
    allowedOrigins: row.allowed_origins ?? [],
    flagFilter: row.flag_filter ?? null,
    createdBy: row.created_by,
    createdAt: new Date(row.created_at).toISOString(),
    lastUsedAt: row.last_used_at ? new Date(row.last_used_at).toISOString() : null,
    revokedAt: row.revoked_at ? new Date(row.revoked_at).toISOString() : null,
  };
}

/** Browser limits travel with the principal (and its cached verdict), so requests never look them up again. */
function clientAccessOf(row: TokenRow): { client?: ClientAccess } {
  if (!row.scopes.some((scope) => scope.startsWith('client:'))) return {};
  return { client: { allowedOrigins: row.allowed_origins ?? [], flagFilter: row.flag_filter ?? null } };
}
