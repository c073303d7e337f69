import { Injectable, type PipeTransform } from '@nestjs/common';
import { ValidationFailedError } from '@switchyard/errors';
import { actorOf, type Principal } from '@switchyard/auth';
import type { WriteContext } from '@switchyard/flags';

type Headers = Record<string, string | string[] | undefined>;

const first = (value: string | string[] | undefined) => (Array.isArray(value) ? value[0] : value);

/** `If-Match: "7"` (or 7, or W/"7") → 7. A malformed header is a 400, not a silent overwrite. */
export function ifMatchOf(headers: Headers): number | undefined {
  const raw = first(headers['if-match']);
  if (raw === undefined || raw.trim() === '*') return undefined;
  const match = /^\s*(?:W\/)?"?(\d{1,9})"?\s*$/.exec(raw);
  if (!match) throw new ValidationFailedError([{ path: 'If-Match', problem: 'must be the ETag of the resource, e.g. "7"' }]);
  return Number(match[1]);
}

export const MAX_COMMENT_LENGTH = 1000;

/**
 * `X-Switchyard-Comment`: why a change is made. Header values are Latin-1, so clients percent-encode
 * other text (`encodeURIComponent`); a value that is not valid percent-encoding is taken as it is.
 */
export function commentOf(headers: Headers): string | undefined {
  const raw = first(headers['x-switchyard-comment']);
  if (raw === undefined) return undefined;
  let text = raw;
  try {
    text = decodeURIComponent(raw);
  } catch {
    // "50% of users" is a comment, not broken encoding.
  }
  const comment = text.trim();
  if (comment.length > MAX_COMMENT_LENGTH)
    throw new ValidationFailedError([{ path: 'comment', problem: `must be at most ${MAX_COMMENT_LENGTH} characters (it has ${comment.length})` }]);
  return comment || undefined;
}

export function writeContext(principal: Principal, headers: Headers): WriteContext {
  const confirm = first(headers['x-switchyard-confirm']);
  return {
    actor: actorOf(principal),
    ifMatch: ifMatchOf(headers),
    confirmed: confirm ? confirm.split(',').map((env) => env.trim()) : [],
    comment: commentOf(headers),
  };
}

export const etagOf = (version: number) => `"${version}"`;

/** A `:version` path parameter: a positive integer that fits the version column (int4). */
@Injectable()
export class ParseVersionPipe implements PipeTransform<string, number> {
  transform(value: string): number {
    const version = Number(value);
    if (!/^[1-9]\d{0,9}$/.test(value) || version > 2_147_483_647) {
      throw new ValidationFailedError([{ path: 'version', problem: 'must be a flag version (a positive integer)' }]);
    }
    return version;
  }
}
