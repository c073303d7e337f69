import { Injectable } from '@nestjs/common';
import { Database } from '@switchyard/persistence';
import type { Role } from './access.contract';
import type { SqlRunner } from './sql-runner';

export interface UserRow {
  id: string;
  email: string;
  name: string;
  role: Role;
  environment_roles: Record<string, Role> | null;
  password_hash: string;
  disabled: boolean;
  created_at: Date;
  last_login_at: Date | null;
}

export interface UserInsert {
  id: string;
  email: string;
  name: string;
  role: Role;
  environmentRoles: Record<string, Role>;
  passwordHash: string;
}

/**
 * users and their sessions, in SQL that runs on PostgreSQL and PGlite alike. A method given a
 * manager runs in that transaction (the Database when it is optional and left out); the others
 * run one statement on the Database.
 */
@Injectable()
export class UsersRepository {
  constructor(private readonly db: Database) {}

  async any(m: SqlRunner = this.db): Promise<boolean> {
    const rows = (await m.query('SELECT 1 FROM users LIMIT 1')) as unknown[];
    return rows.length > 0;
  }

  async emailTaken(m: SqlRunner, email: string): Promise<boolean> {
    const existing = (await m.query('SELECT 1 FROM users WHERE email = $1', [email])) as unknown[];
    return existing.length > 0;
  }

  async findByEmail(email: string): Promise<UserRow | undefined> {
    const rows = await this.db.query<UserRow>('SELECT * FROM users WHERE email = $1', [email]);
    return rows[0];
  }

  async find(id: string): Promise<UserRow | undefined> {
    const rows = await this.db.query<UserRow>('SELECT * FROM users WHERE id::text = $1', [id]);
    return rows[0];
  }

  list(): Promise<UserRow[]> {
    return this.db.query<UserRow>('SELECT * FROM users ORDER BY email');
  }

  namesByEmail(emails: string[]): Promise<Array<{ email: string; name: string }>> {
    return this.db.query<{ email: string; name: string }>('SELECT email, name FROM users WHERE email = ANY($1)', [emails]);
  }

  async insert(m: SqlRunner, user: UserInsert): Promise<void> {
    await m.query('INSERT INTO users (id, email, name, role, environment_roles, password_hash) VALUES ($1, $2, $3, $4, $5::jsonb, $6)', [
      user.id,
      user.email,
      user.name,
      user.role,
      JSON.stringify(user.environmentRoles),
      user.passwordHash,
    ]);
  }

  async update(m: SqlRunner, id: string, fields: { name: string; role: Role; environmentRoles: Record<string, Role>; disabled: boolean }): Promise<void> {
    await m.query('UPDATE users SET name = $2, role = $3, environment_roles = $4::jsonb, disabled = $5 WHERE id = $1', [
      id,
      fields.name,
      fields.role,
      JSON.stringify(fields.environmentRoles),
      fields.disabled,
    ]);
  }

  /** Environment keys that do not exist (an override must name a real environment). */
  async unknownEnvironments(m: SqlRunner, keys: string[]): Promise<string[]> {
    if (keys.length === 0) return [];
    const rows = (await m.query('SELECT key FROM environments WHERE key = ANY($1)', [keys])) as Array<{ key: string }>;
    const known = new Set(rows.map((row) => row.key));
    return keys.filter((key) => !known.has(key));
  }

  async setPassword(m: SqlRunner, id: string, passwordHash: string): Promise<void> {
    await m.query('UPDATE users SET password_hash = $2 WHERE id = $1', [id, passwordHash]);
  }

  async recordSignIn(m: SqlRunner, id: string): Promise<void> {
    await m.query('UPDATE users SET last_login_at = now() WHERE id = $1', [id]);
  }

  async delete(m: SqlRunner, id: string): Promise<void> {
    await m.query('DELETE FROM users WHERE id = $1', [id]);
  }

  async insertSession(session: { secretHash: string; userId: string; csrfToken: string; expiresAt: string }, m: SqlRunner = this.db): Promise<void> {
    await m.query('INSERT INTO sessions (secret_hash, user_id, csrf_token, expires_at) VALUES ($1, $2, $3, $4)', [
      session.secretHash,
      session.userId,
      session.csrfToken,
      session.expiresAt,
    ]);
  }

  /** The user of a live, unexpired session of an enabled account, with the session's CSRF token. */
  async findBySession(secretHash: string): Promise<(UserRow & { csrf_token: string }) | undefined> {
    const rows = await this.db.query<UserRow & { csrf_token: string }>(
      `SELECT u.*, s.csrf_token FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.secret_hash = $1 AND s.expires_at > now() AND NOT u.disabled`,
      [secretHash],
    );
    return rows[0];
  }

  async deleteSession(secretHash: string): Promise<void> {
    await this.db.query('DELETE FROM sessions WHERE secret_hash = $1', [secretHash]);
  }

  async deleteSessions(m: SqlRunner, userId: string): Promise<void> {
    await m.query('DELETE FROM sessions WHERE user_id = $1', [userId]);
  }

  /** Every session of the user but the one with `keepHash` ('' keeps none). */
  async deleteOtherSessions(m: SqlRunner, userId: string, keepHash: string): Promise<void> {
    await m.query('DELETE FROM sessions WHERE user_id = $1 AND secret_hash <> $2', [userId, keepHash]);
  }
}
