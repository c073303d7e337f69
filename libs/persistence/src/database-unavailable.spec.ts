import { QueryFailedError } from 'typeorm';
import { classifyOutage } from './database-unavailable';

const timeouts = { statementMs: 2000, acquireMs: 1500 };
const pgError = (message: string, code?: string) => Object.assign(new Error(message), code ? { code } : {});

describe('classifyOutage', () => {
  it('names timeouts and lost connections, with the bound that was hit', () => {
    expect(classifyOutage(new QueryFailedError('SELECT 1', [], pgError('canceling statement due to statement timeout', '57014')), timeouts)).toBe(
      'a statement ran longer than 2000 ms (statement timeout)',
    );
    expect(classifyOutage(new QueryFailedError('SELECT 1', [], pgError('Query read timeout')), timeouts)).toBe('no answer from PostgreSQL within 3000 ms');
    expect(classifyOutage(pgError('timeout exceeded when trying to connect'), timeouts)).toBe('no database connection could be obtained within 1500 ms');
    expect(classifyOutage(pgError('connect ECONNREFUSED 127.0.0.1:5432', 'ECONNREFUSED'), timeouts)).toBe('PostgreSQL is unreachable (ECONNREFUSED)');
    expect(classifyOutage(pgError('terminating connection due to administrator command', '57P01'), timeouts)).toMatch(/57P01/);
    expect(classifyOutage(pgError('Connection terminated unexpectedly'), timeouts)).toBe('the connection to PostgreSQL was lost');
  });

  it('leaves every other error alone (a constraint violation keeps its meaning)', () => {
    expect(classifyOutage(new QueryFailedError('INSERT', [], pgError('duplicate key value violates unique constraint', '23505')), timeouts)).toBeUndefined();
    expect(classifyOutage(pgError('canceling statement due to user request', '57014'), timeouts)).toBeUndefined();
    expect(classifyOutage('not an error', timeouts)).toBeUndefined();
  });
});
