import { AppError } from '@switchyard/errors';
import { QueryFailedError } from 'typeorm';
import { QUERY_READ_TIMEOUT } from './data-source';

/**
 * PostgreSQL did not answer in time or could not be reached. Rendered as 503 in the one error shape
 * with the reason in `details` and a Retry-After; the transaction, if any, was not committed (see
 * `classifyOutage` for the one window where that cannot be known).
 */
export class DatabaseUnavailableError extends AppError {
  constructor(
    readonly reason: string,
    retryAfterSeconds: number,
  ) {
    super('UNAVAILABLE', 'the database is not answering; nothing was changed, retry later', 503, [{ path: 'database', problem: reason }], {
      retryAfter: retryAfterSeconds,
    });
  }
}

// SQLSTATE classes/codes that mean "the server or the link is gone", not "your statement is wrong".
const OUTAGE_SQLSTATES = new Set(['57P01', '57P02', '57P03', '53300']);
const OUTAGE_ERRNOS = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN', 'ENOTFOUND']);

/**
 * The reason, in words, when `error` means PostgreSQL is unreachable or too slow; undefined for any
 * other error (constraint violations, bad SQL) which must keep its own meaning.
 *
 * A COMMIT whose reply is lost to a timeout is the one case where the outcome is unknown: the client
 * drops the connection (see TimeBoundClient), but if the server had already received the COMMIT it
 * may still apply it. Every other timeout happens before COMMIT is sent, and PostgreSQL rolls back.
 */
export function classifyOutage(error: unknown, timeouts: { statementMs: number; acquireMs: number }): string | undefined {
  const cause = error instanceof QueryFailedError ? (error.driverError as unknown) : error;
  if (!(cause instanceof Error)) return undefined;
  const code = (cause as { code?: unknown }).code;
  const message = cause.message;
  if (code === '57014' && /statement timeout/i.test(message)) return `a statement ran longer than ${timeouts.statementMs} ms (statement timeout)`;
  if (message === QUERY_READ_TIMEOUT) return `no answer from PostgreSQL within ${timeouts.statementMs + 1000} ms`;
  if (/timeout exceeded when trying to connect|connection timeout/i.test(message)) {
    return `no database connection could be obtained within ${timeouts.acquireMs} ms`;
  }
  if (typeof code === 'string' && (OUTAGE_SQLSTATES.has(code) || code.startsWith('08'))) return `PostgreSQL refused or dropped the connection (${code})`;
  if (typeof code === 'string' && OUTAGE_ERRNOS.has(code)) return `PostgreSQL is unreachable (${code})`;
  if (/Connection terminated|not queryable|Client was closed/i.test(message)) return 'the connection to PostgreSQL was lost';
  return undefined;
}
