import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import { AuditService } from '@switchyard/audit';
import { AppError, ConflictError, ForbiddenError, NotFoundError, UnauthenticatedError, ValidationFailedError } from '@switchyard/errors';
import { LOGGER } from '@switchyard/observability';
import { Database } from '@switchyard/persistence';
import { LoginThrottle } from './login-throttle';
import { hashPassword, verifyPassword } from './password';
import type { Principal } from './principal';
import { TokensService } from './tokens.service';

export const ROLES = ['admin', 'editor', 'viewer', 'approver'] as const;
export type Role = (typeof ROLES)[number];

/** What each role may do, expressed in the same scopes API tokens carry. */
// Mirror routes steer live traffic (a route's primary), so only admins change them; every role may read them.
export const ROLE_SCOPES: Record<Role, string[]> = {
  admin: ['admin'],
  editor: ['flags:write', 'deploy:read', 'mirror:read'],
  viewer: ['flags:read', 'deploy:read', 'mirror:read'],
  approver: ['flags:read', 'deploy:read', 'approve', 'mirror:read'],
};

export interface UserView {
  id: string;
  email: string;
  name: string;
  role: Role;
  disabled: boolean;
  createdAt: string;
  lastLoginAt: string | null;
}

export interface SessionView {
  user: UserView;
  csrfToken: string;
}

interface UserRow {
  id: string;
  email: string;
  name: string;
  role: Role;
  password_hash: string;
  disabled: boolean;
  created_at: Date;
  last_login_at: Date | null;
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
    private readonly audit: AuditService,
    private readonly tokens: TokensService,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async setupNeeded(): Promise<boolean> {
    const rows = await this.db.query('SELECT 1 FROM users LIMIT 1');
    return rows.length === 0;
  }

  /** First start: whoever holds the bootstrap admin token creates the first admin. */
  async setup(adminToken: string, input: { email: string; name: string; password: string }): Promise<{ session: SessionView; secret: string }> {
    const principal = await this.tokens.verify(adminToken);
    if (!principal || !principal.scopes.includes('admin')) throw new UnauthenticatedError('that is not an admin API token');
    const user = await this.db.transaction(async (m) => {
      const existing: unknown[] = await m.query('SELECT 1 FROM users LIMIT 1');
      if (existing.length) throw new ConflictError('setup is already done: sign in instead');
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
    const rows = await this.db.query<UserRow>('SELECT * FROM users WHERE email = $1', [tried]);
    const row = rows[0];
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
      await m.query('UPDATE users SET last_login_at = now() WHERE id = $1', [row.id]);
      await this.audit.record(m, { ...event, action: 'session.sign-in', meta: { address } });
      return this.openSession(toView({ ...row, last_login_at: new Date() }), m);
    });
    this.logger.info({ email: tried, address }, 'signed in');
    return opened;
  }

  async signOut(secret: string): Promise<void> {
    const hash = sha256(secret);
    this.sessionCache.delete(hash);
    await this.db.query('DELETE FROM sessions WHERE secret_hash = $1', [hash]);
  }

  /** The principal and CSRF token of a live session, or null. Cached briefly: the UI polls a lot. */
  async resolveSession(secret: string): Promise<{ principal: Principal; csrf: string } | null> {
    const hash = sha256(secret);
    const now = Date.now();
    const cached = this.sessionCache.get(hash);
    if (cached && now - cached.at < CACHE_TTL_MS) return cached.session;
    const rows = await this.db.query<UserRow & { csrf_token: string }>(
      `SELECT u.*, s.csrf_token FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.secret_hash = $1 AND s.expires_at > now() AND NOT u.disabled`,
      [hash],
    );
    const row = rows[0];
    const session = row
      ? { principal: { kind: 'user' as const, id: row.id, name: row.email, scopes: ROLE_SCOPES[row.role] ?? [] }, csrf: row.csrf_token }
      : null;
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
    const rows = await this.db.query<UserRow>('SELECT * FROM users WHERE id::text = $1', [userId]);
    const row = rows[0];
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
      await m.query('UPDATE users SET password_hash = $2 WHERE id = $1', [row.id, await hashPassword(newPassword)]);
      await m.query('DELETE FROM sessions WHERE user_id = $1 AND secret_hash <> $2', [row.id, keepSession ? sha256(keepSession) : '']);
      await this.audit.record(m, { actor: `user:${row.email}`, action: 'user.password-changed', target: `user:${row.email}`, meta: { address } });
    });
    this.sessionCache.clear();
    this.logger.info({ email: row.email, address }, 'password changed');
  }

  /** Each `user:<email>` actor's display name, so the audit log can say "Ada" (tokens and unknown users stay null). */
  async withActorNames<T extends { actor: string }>(items: T[]): Promise<Array<T & { actorName: string | null }>> {
    const emails = [...new Set(items.filter((item) => item.actor.startsWith('user:')).map((item) => item.actor.slice(5)))];
    const rows = emails.length ? await this.db.query<{ email: string; name: string }>('SELECT email, name FROM users WHERE email = ANY($1)', [emails]) : [];
    const names = new Map(rows.map((row) => [`user:${row.email}`, row.name]));
    return items.map((item) => ({ ...item, actorName: names.get(item.actor) ?? null }));
  }

  async list(): Promise<UserView[]> {
    const rows = await this.db.query<UserRow>('SELECT * FROM users ORDER BY email');
    return rows.map(toView);
  }

  async get(id: string): Promise<UserView> {
    const rows = await this.db.query<UserRow>('SELECT * FROM users WHERE id::text = $1', [id]);
    if (!rows[0]) throw new NotFoundError('user', id);
    return toView(rows[0]);
  }

  async create(input: { email: string; name: string; role: Role; password: string }, actor: string): Promise<UserView> {
    return this.db.transaction(async (m) => {
      const existing: unknown[] = await m.query('SELECT 1 FROM users WHERE email = $1', [input.email.toLowerCase()]);
      if (existing.length) throw new ConflictError(`a user with email ${input.email} exists`, {}, [{ path: 'email', problem: 'is already taken' }]);
      const user = await this.insert(m, input);
      await this.audit.record(m, { actor, action: 'user.created', target: `user:${user.email}`, after: user });
      return user;
    });
  }

  async update(id: string, input: { name?: string; role?: Role; password?: string; disabled?: boolean }, actor: Principal): Promise<UserView> {
    const before = await this.get(id);
    if (actor.id === id && ((input.role && input.role !== 'admin') || input.disabled)) throw new ForbiddenError('you cannot demote or disable yourself');
    await this.db.transaction(async (m) => {
      await m.query('UPDATE users SET name = $2, role = $3, disabled = $4 WHERE id = $1', [
        id,
        input.name ?? before.name,
        input.role ?? before.role,
        input.disabled ?? before.disabled,
      ]);
      if (input.password) await m.query('UPDATE users SET password_hash = $2 WHERE id = $1', [id, await hashPassword(input.password)]);
      // Role or status changes end existing sessions so they take effect at once.
      if (input.role || input.disabled || input.password) await m.query('DELETE FROM sessions WHERE user_id = $1', [id]);
      const after = { ...before, name: input.name ?? before.name, role: input.role ?? before.role, disabled: input.disabled ?? before.disabled };
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
      await m.query('DELETE FROM users WHERE id = $1', [id]);
      await this.audit.record(m, { actor: `${actor.kind}:${actor.name}`, action: 'user.deleted', target: `user:${before.email}`, before });
    });
    this.sessionCache.clear();
  }

  checkCsrf(expected: string, sent: string | undefined): boolean {
    if (sent === undefined) return false;
    // Compare byte lengths: a non-ASCII header of the right character count would make timingSafeEqual throw.
    const a = Buffer.from(sent);
    const b = Buffer.from(expected);
    return a.length === b.length && timingSafeEqual(a, b);
  }

  private async openSession(
    user: UserView,
    m: { query: (sql: string, params: unknown[]) => Promise<unknown> } = this.db,
  ): Promise<{ session: SessionView; secret: string }> {
    const secret = randomBytes(32).toString('base64url');
    const csrfToken = randomBytes(24).toString('base64url');
    await m.query('INSERT INTO sessions (secret_hash, user_id, csrf_token, expires_at) VALUES ($1, $2, $3, $4)', [
      sha256(secret),
      user.id,
      csrfToken,
      new Date(Date.now() + SESSION_TTL_MS).toISOString(),
    ]);
    return { session: { user, csrfToken }, secret };
  }

  private async insert(
    m: { query: (sql: string, params: unknown[]) => Promise<unknown> },
    input: { email: string; name: string; role: Role; password: string },
  ): Promise<UserView> {
    const id = randomUUID();
    await m.query('INSERT INTO users (id, email, name, role, password_hash) VALUES ($1, $2, $3, $4, $5)', [
      id,
      input.email.toLowerCase(),
      input.name,
      input.role,
      await hashPassword(input.password),
    ]);
    return {
      id,
      email: input.email.toLowerCase(),
      name: input.name,
      role: input.role,
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
    disabled: row.disabled,
    createdAt: new Date(row.created_at).toISOString(),
    lastLoginAt: row.last_login_at ? new Date(row.last_login_at).toISOString() : null,
  };
}

export const SESSION_COOKIE = 'sy_session';
export const SESSION_MAX_AGE_SECONDS = SESSION_TTL_MS / 1000;
