import { Injectable, type PipeTransform } from '@nestjs/common';
import { ValidationFailedError } from '@switchyard/errors';
import { actorOf, type Principal } from '@switchyard/auth';
import type { WriteContext } from '@switchyard/flags';
import { firstHeader, ifMatchOf, type RequestHeaders } from '../http';

export const MAX_COMMENT_LENGTH = 1000;

/**
 * `X-Switchyard-Comment`: why a change is made. Header values are Latin-1, so clients percent-encode
 * other text (`encodeURIComponent`); a value that is not valid percent-encoding is taken as it is.
 */
export function commentOf(headers: RequestHeaders): string | undefined {
  const raw = firstHeader(headers['x-switchyard-comment']);
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

export function writeContext(principal: Principal, headers: RequestHeaders): WriteContext {
  const confirm = firstHeader(headers['x-switchyard-confirm']);
  return {
    actor: actorOf(principal),
    principal: `${principal.kind}:${principal.id}`,
    ifMatch: ifMatchOf(headers),
    confirmed: confirm ? confirm.split(',').map((env) => env.trim()) : [],
    comment: commentOf(headers),
  };
}

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
