import { ValidationFailedError } from '@switchyard/errors';

/**
 * The `since` of a report query (`GET /api/v1/mirror/reports` on the server, `GET /reports` on a
 * proxy's admin port), validated the same way in both places; `undefined` when not given.
 */
export function parseReportSince(since: string | undefined): Date | undefined {
  if (since === undefined) return undefined;
  const at = new Date(since);
  // `new Date` alone takes "1" or "May 5"; a report boundary must be an unambiguous date-time.
  if (!/^\d{4}-\d{2}-\d{2}/.test(since) || Number.isNaN(at.getTime())) {
    throw new ValidationFailedError([{ path: 'since', problem: 'must be an ISO 8601 date-time, e.g. 2026-11-26T12:00:00Z' }]);
  }
  return at;
}
