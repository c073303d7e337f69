import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import { AuditService } from '@switchyard/audit';
import { AppError, ConflictError, ForbiddenError, NotFoundError, UnauthenticatedError, ValidationFailedError } from '@switchyard/errors';
import { LOGGER } from '@switchyard/observability';
import { Database } from '@switchyard/persistence';
import type { Role, SessionView, UserView } from './access.contract';
import { LoginThrottle } from './login-throttle';
import { hashPassword, verifyPassword } from './password';
import type { Principal } from './principal';
import type { SqlRunner } from './sql-runner';
import { TokensService } from './tokens.service';
import { UsersRepository, type UserRow } from './users.repository';

export { ROLES, type Role, type SessionView, type UserView } from './access.contract';

/** What each role may do, expressed in the same scopes API tokens carry. */
// Mirror routes steer live traffic (a route's primary), so only admins change them; every role may read them.
export const ROLE_SCOPES: Record<Role, string[]> = {
  admin: ['admin'],
  editor: ['flags:write', 'deploy:read', 'mirror:read'],
  viewer: ['flags:read', 'deploy:read', 'mirror:read'],
  approver: ['flags:read', 'deploy:read', 'approve', 'mirror:read'],
};

/** A person's principal: base scopes from their role, and each environment override's scopes for that environment. */
export function principalOfUser(user: { id: string; email: string; role: Role; environmentRoles: Record<string, Role> }): Principal {
  const overrides = Object.entries(user.environmentRoles);
  return {
    kind: 'user',
    id: user.id,
    name: user.email,
    scopes: ROLE_SCOPES[user.role] ?? [],
    ...(overrides.length ? { environmentScopes: Object.fromEntries(overrides.map(([environment, role]) => [environment, ROLE_SCOPES[role] ?? []])) } : {}),
  };
}

const SESSION_TTL_MS = 7 * 86_400_000;
const CACHE_TTL_MS = 5_000;
const sha256 = (value: string) => createHash('sha256').update(value).digest('hex');

export class TooManyAttemptsError extends AppError {
  constructor(retryAfterSeconds: number) {
    super('TOO_MANY_REQUESTS', `too many sign-in attempts; try again in ${retryAfterSeconds} s`, 429, [], { retryAfter: retryAfterSeconds });
  }
}

/** Users, passwords (scrypt) and sessions (random secret in an httpOnly cookie; only its hash is stored). */
@Injectable()
export class UsersService {
  private readonly throttle = new LoginThrottle();
  private readonly sessionCache = new Map<string, { session: { principal: Principal; csrf: string } | null; at: number }>();

  constructor(
    private readonly db: Database,
    private readonly repository: UsersRepository,
    private readonly audit: AuditService,
    private readonly tokens: TokensService,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async setupNeeded(): Promise<boolean> {
    return !(await this.repository.any());
  }

  /** First start: whoever holds the bootstrap admin token creates the first admin. */
  async setup(adminToken: string, input: { email: string; name: string; password: string }): Promise<{ session: SessionView; secret: string }> {
    const principal = await this.tokens.verify(adminToken);
    if (!principal || !principal.scopes.includes('admin')) throw new UnauthenticatedError('that is not an admin API token');
    const user = await this.db.transaction(async (m) => {
      if (await this.repository.any(m)) throw new ConflictError('setup is already done: sign in instead');
      const created = await this.insert(m, { ...input, role: 'admin' });
      await this.audit.record(m, {
        actor: `token:${principal.name}`,
        action: 'user.created',
        target: `user:${created.email}`,
        after: created,
        meta: { setup: true },
      });
      return created;
    });
    return this.openSession(user);
  }

  /** Audited and logged with the email tried and the client address, never the password. */
  async signIn(email: string, password: string, address: string): Promise<{ session: SessionView; secret: string }> {
    const tried = email.toLowerCase();
    const key = `${tried}|${address}`;
    const wait = this.throttle.retryAfter(key);
    if (wait > 0) {
      // Not audited: a throttled attempt checks no password, and auditing it would let anyone fill the log.
      this.logger.warn({ email: tried, address }, 'sign-in throttled');
      throw new TooManyAttemptsError(wait);
    }
    const row = await this.repository.findByEmail(tried);
    // Verify even for unknown users so timing does not reveal which emails exist.
    const ok = await verifyPassword(password, row?.password_hash ?? 'scrypt$16384$8$1$AAAAAAAAAAAAAAAAAAAAAA$AAAA');
    const event = { actor: `user:${tried}`, target: `user:${tried}` };
    if (!row || !ok || row.disabled) {
      this.throttle.fail(key);
      const reason = !row ? 'unknown-user' : row.disabled ? 'disabled' : 'wrong-password';
      await this.db.transaction((m) => this.audit.record(m, { ...event, action: 'session.sign-in-failed', meta: { address, reason } }));
      this.logger.warn({ email: tried, address, reason }, 'sign-in failed');
      throw new UnauthenticatedError('wrong email or password');
    }
    this.throttle.succeed(key);
    const opened = await this.db.transaction(async (m) => {
      await this.repository.recordSignIn(m, row.id);
      await this.audit.record(m, { ...event, action: 'session.sign-in', meta: { address } });
      return this.openSession(toView({ ...row, last_login_at: new Date() }), m);
    });
    this.logger.info({ email: tried, address }, 'signed in');
    return opened;
  }

  async signOut(secret: string): Promise<void> {
    const hash = sha256(secret);
    this.sessionCache.delete(hash);
    await this.repository.deleteSession(hash);
  }

  /** The principal and CSRF token of a live session, or null. Cached briefly: the UI polls a lot. */
  async resolveSession(secret: string): Promise<{ principal: Principal; csrf: string } | null> {
    const hash = sha256(secret);
    const now = Date.now();
    const cached = this.sessionCache.get(hash);
    if (cached && now - cached.at < CACHE_TTL_MS) return cached.session;
    const row = await this.repository.findBySession(hash);
    const session = row ? { principal: principalOfUser({ ...row, environmentRoles: row.environment_roles ?? {} }), csrf: row.csrf_token } : null;
    if (this.sessionCache.size > 10_000) this.sessionCache.clear();
    this.sessionCache.set(hash, { session, at: now });
    return session;
  }

  async sessionView(secret: string): Promise<SessionView> {
    const session = await this.resolveSession(secret);
    if (!session) throw new UnauthenticatedError('not signed in');
    return { user: await this.get(session.principal.id), csrfToken: session.csrf };
  }

  /**
   * A signed-in person changes their own password: the current one is checked (a wrong one counts
   * toward the sign-in throttle, like a failed sign-in) and every other session of theirs ends.
   */
  async changePassword(userId: string, keepSession: string | undefined, currentPassword: string, newPassword: string, address: string): Promise<void> {
    const row = await this.repository.find(userId);
    if (!row) throw new NotFoundError('user', userId);
    const key = `${row.email}|${address}`;
    const wait = this.throttle.retryAfter(key);
    if (wait > 0) throw new TooManyAttemptsError(wait);
    if (!(await verifyPassword(currentPassword, row.password_hash))) {
      this.throttle.fail(key);
      this.logger.warn({ email: row.email, address }, 'password change refused: wrong current password');
      throw new ValidationFailedError([{ path: 'currentPassword', problem: 'is not your current password' }]);
    }
    this.throttle.succeed(key);
    if (newPassword === currentPassword) throw new ValidationFailedError([{ path: 'newPassword', problem: 'must differ from the current password' }]);
    await this.db.transaction(async (m) => {
      await this.repository.setPassword(m, row.id, await hashPassword(newPassword));
      await this.repository.deleteOtherSessions(m, row.id, keepSession ? sha256(keepSession) : '');
      await this.audit.record(m, { actor: `user:${row.email}`, action: 'user.password-changed', target: `user:${row.email}`, meta: { address } });
    });
    this.sessionCache.clear();
    this.logger.info({ email: row.email, address }, 'password changed');
  }

  /** Each `user:<email>` actor's display name, so the audit log can say "Ada" (tokens and unknown users stay null). */
  async withActorNames<T extends { actor: string }>(items: T[]): Promise<Array<T & { actorName: string | null }>> {
    const emails = [...new Set(items.filter((item) => item.actor.startsWith('user:')).map((item) => item.actor.slice(5)))];
    const rows = emails.length ? await this.repository.namesByEmail(emails) : [];
    const names = new Map(rows.map((row) => [`user:${row.email}`, row.name]));
    return items.map((item) => ({ ...item, actorName: names.get(item.actor) ?? null }));
  }

  async list(): Promise<UserView[]> {
    return (await this.repository.list()).map(toView);
  }

  async get(id: string): Promise<UserView> {
    const row = await this.repository.find(id);
    if (!row) throw new NotFoundError('user', id);
    return toView(row);
  }

  async create(
    input: { email: string; name: string; role: Role; environmentRoles?: Record<string, Role>; password: string },
    actor: string,
  ): Promise<UserView> {
    return this.db.transaction(async (m) => {
      if (await this.repository.emailTaken(m, input.email.toLowerCase()))
        throw new ConflictError(`a user with email ${input.email} exists`, {}, [{ path: 'email', problem: 'is already taken' }]);
      await this.checkEnvironments(m, input.environmentRoles);
      const user = await this.insert(m, input);
      await this.audit.record(m, { actor, action: 'user.created', target: `user:${user.email}`, after: user });
      return user;
    });
  }

  async update(
    id: string,
    input: { name?: string; role?: Role; environmentRoles?: Record<string, Role>; password?: string; disabled?: boolean },
    actor: Principal,
  ): Promise<UserView> {
    const before = await this.get(id);
    const demotesInAnEnvironment = Object.values(input.environmentRoles ?? {}).some((role) => role !== 'admin');
    if (actor.id === id && ((input.role && input.role !== 'admin') || input.disabled || demotesInAnEnvironment))
      throw new ForbiddenError('you cannot demote or disable yourself');
    await this.db.transaction(async (m) => {
      await this.checkEnvironments(m, input.environmentRoles);
      await this.repository.update(m, id, {
        name: input.name ?? before.name,
        role: input.role ?? before.role,
        environmentRoles: input.environmentRoles ?? before.environmentRoles,
        disabled: input.disabled ?? before.disabled,
      });
      if (input.password) await this.repository.setPassword(m, id, await hashPassword(input.password));
      // Role or status changes end existing sessions so they take effect at once.
      if (input.role || input.environmentRoles || input.disabled || input.password) await this.repository.deleteSessions(m, id);
      const after = {
        ...before,
        name: input.name ?? before.name,
        role: input.role ?? before.role,
        environmentRoles: input.environmentRoles ?? before.environmentRoles,
        disabled: input.disabled ?? before.disabled,
      };
      await this.audit.record(m, {
        actor: `${actor.kind}:${actor.name}`,
        action: 'user.updated',
        target: `user:${before.email}`,
        before,
        after,
        meta: input.password ? { passwordChanged: true } : {},
      });
    });
    this.sessionCache.clear();
    return this.get(id);
  }

  async remove(id: string, actor: Principal): Promise<void> {
    const before = await this.get(id);
    if (actor.id === id) throw new ForbiddenError('you cannot delete yourself');
    await this.db.transaction(async (m) => {
      await this.repository.delete(m, id);
      await this.audit.record(m, { actor: `${actor.kind}:${actor.name}`, action: 'user.deleted', target: `user:${before.email}`, before });
    });
    this.sessionCache.clear();
  }

  /** An override must name an environment that exists: 400 naming `environmentRoles.<key>`. */
  private async checkEnvironments(m: SqlRunner, environmentRoles: Record<string, Role> | undefined): Promise<void> {
    const unknown = await this.repository.unknownEnvironments(m, Object.keys(environmentRoles ?? {}));
    if (unknown.length)
      throw new ValidationFailedError(unknown.map((key) => ({ path: `environmentRoles.${key}`, problem: `names no environment ("${key}" does not exist)` })));
  }

  checkCsrf(expected: string, sent: string | undefined): boolean {
    if (sent === undefined) return false;
    // Compare byte lengths: a non-ASCII header of the right character count would make timingSafeEqual throw.
    const a = Buffer.from(sent);
    const b = Buffer.from(expected);
    return a.length === b.length && timingSafeEqual(a, b);
  }

  private async openSession(user: UserView, m: SqlRunner = this.db): Promise<{ session: SessionView; secret: string }> {
    const secret = randomBytes(32).toString('base64url');
    const csrfToken = randomBytes(24).toString('base64url');
    await this.repository.insertSession(
      { secretHash: sha256(secret), userId: user.id, csrfToken, expiresAt: new Date(Date.now() + SESSION_TTL_MS).toISOString() },
      m,
    );
    return { session: { user, csrfToken }, secret };
  }

  private async insert(
    m: SqlRunner,
    input: { email: string; name: string; role: Role; environmentRoles?: Record<string, Role>; password: string },
  ): Promise<UserView> {
    const id = randomUUID();
    await this.repository.insert(m, {
      id,
      email: input.email.toLowerCase(),
      name: input.name,
      role: input.role,
      environmentRoles: input.environmentRoles ?? {},
      passwordHash: await hashPassword(input.password),
    });
    return {
      id,
      email: input.email.toLowerCase(),
      name: input.name,
      role: input.role,
      environmentRoles: input.environmentRoles ?? {},
      disabled: false,
      createdAt: new Date().toISOString(),
      lastLoginAt: null,
    };
  }
}

function toView(row: UserRow): UserView {
  return {
    id: row.id,
    email: row.email,
    name: row.name,
    role: row.role,
    environmentRoles: row.environment_roles ?? {},
    disabled: row.disabled,
    createdAt: new Date(row.created_at).toISOString(),
    lastLoginAt: row.last_login_at ? new Date(row.last_login_at).toISOString() : null,
  };
}

export const SESSION_COOKIE = 'sy_session';
export const SESSION_MAX_AGE_SECONDS = SESSION_TTL_MS / 1000;
