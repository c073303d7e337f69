import { z } from 'zod';

const BIGINT_MAX = 9223372036854775807n;

/** A page cursor is an id as the server wrote it: canonical decimal, within PostgreSQL's bigint. */
export function isPageCursor(value: unknown): boolean {
  return typeof value === 'string' && /^(?:0|[1-9]\d{0,18})$/.test(value) && BigInt(value) <= BIGINT_MAX;
}

/** A `cursor` query field: `nextCursor` of the previous page, passed back unchanged. */
export const pageCursor = () =>
  z.string().refine(isPageCursor, 'must be a cursor returned by a previous page').meta({ description: 'nextCursor from the previous page' });

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})T(?:[01]\d|2[0-3]):[0-5]\d(?::[0-5]\d(?:\.\d{1,9})?)?(?:Z|[+-](?:[01]\d|2[0-3]):[0-5]\d)$/;

/**
 * `2024-05-01` (UTC midnight) or an ISO 8601 date-time with a timezone (`2024-05-01T12:00:00Z`,
 * `…+02:00`). Nothing else: no week or ordinal dates, no local times, no rolled-over days (02-30).
 */
export function parseStrictDate(value: string): Date | undefined {
  const match = DATE_TIME.exec(value) ?? DATE.exec(value);
  if (!match) return undefined;
  const [year, month, day] = match.slice(1, 4).map(Number);
  const calendar = new Date(0);
  calendar.setUTCFullYear(year, month - 1, day);
  if (calendar.getUTCFullYear() !== year || calendar.getUTCMonth() !== month - 1 || calendar.getUTCDate() !== day) return undefined;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? undefined : date;
}

/** A date, or an ISO 8601 date-time with a timezone (the text is kept; the query parses it). */
export const strictDate = () =>
  z
    .string()
    .refine((value) => parseStrictDate(value) !== undefined, 'must be a date (2024-05-01) or an ISO 8601 date-time with a timezone (2024-05-01T12:00:00Z)');

/**
 * Control characters, line separators and bidirectional overrides: names are printed raw (the CLI
 * shows a token's name as the actor), where these could rewrite a terminal line or reorder text.
 */
export const NON_PRINTABLE = /[\p{Cc}\u2028\u2029\u202a-\u202e\u2066-\u2069]/u;

/** A name printed raw: at most `max` characters, printable ones only. */
export const printable = (max: number) =>
  z
    .string()
    .max(max)
    .refine((value) => !NON_PRINTABLE.test(value), 'must contain printable characters only');

/** One of a fixed list, refused naming the list (`must be one of running, succeeded`). */
export const oneOf = <const T extends readonly [string, ...string[]]>(values: T) => z.enum(values, { error: () => `must be one of ${values.join(', ')}` });

/** `limit` of a page: a whole number from 1 to `max` (the query text is coerced); the route applies `fallback`. */
export const pageLimit = (max: number, fallback: number) => z.coerce.number().int().min(1).max(max).optional().meta({ default: fallback });

/** A JSON object whose members the route (or a later check) reads: any keys, no arrays. */
export const jsonObject = <T>() =>
  z
    .custom<T>((value) => typeof value === 'object' && value !== null && !Array.isArray(value), 'must be an object')
    .meta({ type: 'object', additionalProperties: true });

/** true or false, refused in the words the UI shows beside a checkbox. */
export const trueOrFalse = () => z.boolean({ error: () => 'must be true or false' });
