import { Writable } from 'node:stream';
import pino from 'pino';
import type { AuditEventInput, AuditService } from '@switchyard/audit';
import type { Database } from '@switchyard/persistence';
import { hashPassword } from './password';
import { cookieValue } from './session.resolver';
import type { TokensService } from './tokens.service';
import { UsersRepository } from './users.repository';
import { UsersService } from './users.service';

describe('UsersService sign-in', () => {
  const PASSWORD = 'correct horse battery';
  let events: AuditEventInput[];
  let logs: string;
  let users: UsersService;

  beforeEach(async () => {
    events = [];
    logs = '';
    const row = {
      id: 'u1',
      email: 'ada@example.com',
      name: 'Ada',
      role: 'admin',
      password_hash: await hashPassword(PASSWORD),
      disabled: false,
      created_at: new Date(),
    };
    const query = (sql: string, params: unknown[] = []) => Promise.resolve(sql.startsWith('SELECT * FROM users') && params[0] === row.email ? [row] : []);
    const db = { query, transaction: (work: (m: unknown) => Promise<unknown>) => work({ query }) } as unknown as Database;
    const audit = { record: (_m: unknown, event: AuditEventInput) => Promise.resolve(void events.push(event)) } as unknown as AuditService;
    const sink = new Writable({
      write: (chunk: Buffer, _encoding, done) => {
        logs += chunk.toString();
        done();
      },
    });
    users = new UsersService(db, new UsersRepository(db), audit, {} as TokensService, pino({ level: 'info' }, sink));
  });

  it('audits and logs a failed sign-in with the email and address, never the password', async () => {
    await expect(users.signIn('Ada@Example.com', 'a wrong guess 123', '192.0.2.1')).rejects.toMatchObject({ status: 401 });
    await expect(users.signIn('nobody@example.com', 'a wrong guess 123', '192.0.2.1')).rejects.toMatchObject({ status: 401 });
    expect(events).toEqual([
      {
        actor: 'user:ada@example.com',
        target: 'user:ada@example.com',
        action: 'session.sign-in-failed',
        meta: { address: '192.0.2.1', reason: 'wrong-password' },
      },
      {
        actor: 'user:nobody@example.com',
        target: 'user:nobody@example.com',
        action: 'session.sign-in-failed',
        meta: { address: '192.0.2.1', reason: 'unknown-user' },
      },
    ]);
    expect(logs).toContain('sign-in failed');
    expect(logs).toContain('192.0.2.1');
    expect(logs).not.toContain('a wrong guess 123');
  });

  it('audits and logs a sign-in without the password', async () => {
    const { session } = await users.signIn('ada@example.com', PASSWORD, '192.0.2.9');
    expect(session.user.email).toBe('ada@example.com');
    expect(events).toEqual([{ actor: 'user:ada@example.com', target: 'user:ada@example.com', action: 'session.sign-in', meta: { address: '192.0.2.9' } }]);
    expect(logs).toContain('signed in');
    expect(logs).not.toContain(PASSWORD);
  });

  it('compares CSRF tokens by bytes, so a non-ASCII token of the same length is refused rather than thrown on', () => {
    expect(users.checkCsrf('abcd', 'abcd')).toBe(true);
    expect(users.checkCsrf('abcd', 'ébcd')).toBe(false);
    expect(users.checkCsrf('abcd', undefined)).toBe(false);
  });
});

describe('cookieValue', () => {
  it('reads a cookie, and treats a malformed one as absent', () => {
    expect(cookieValue('a=1; sy_session=abc%2Fdef', 'sy_session')).toBe('abc/def');
    expect(cookieValue('sy_session=%E0%A4%A', 'sy_session')).toBeUndefined();
    expect(cookieValue('sy_session=%', 'sy_session')).toBeUndefined();
  });
});
