import { ValidationFailedError } from '@switchyard/errors';
import { firstHeader, type RequestHeaders } from './request-headers';

/** A resource's version as its ETag: `"7"`. */
export const etagOf = (version: number) => `"${version}"`;

/** `If-Match: "7"` (or 7, or W/"7") → 7. A malformed header is a 400, not a silent overwrite. */
export function ifMatchOf(headers: RequestHeaders): number | undefined {
  const raw = firstHeader(headers['if-match']);
  if (raw === undefined || raw.trim() === '*') return undefined;
  const match = /^\s*(?:W\/)?"?(\d{1,9})"?\s*$/.exec(raw);
  if (!match) throw new ValidationFailedError([{ path: 'If-Match', problem: 'must be the ETag of the resource, e.g. "7"' }]);
  return Number(match[1]);
}
