import { ValidateBy } from 'class-validator';

const BIGINT_MAX = 9223372036854775807n;

/** A page cursor is an id as the server wrote it: canonical decimal, within PostgreSQL's bigint. */
export function isPageCursor(value: unknown): boolean {
  return typeof value === 'string' && /^(?:0|[1-9]\d{0,18})$/.test(value) && BigInt(value) <= BIGINT_MAX;
}

export function IsPageCursor(): PropertyDecorator {
  return ValidateBy({
    name: 'isPageCursor',
    validator: { validate: isPageCursor, defaultMessage: () => 'must be a cursor returned by a previous page' },
  });
}

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

export function IsStrictDate(): PropertyDecorator {
  return ValidateBy({
    name: 'isStrictDate',
    validator: {
      validate: (value: unknown) => typeof value === 'string' && parseStrictDate(value) !== undefined,
      defaultMessage: () => 'must be a date (2024-05-01) or an ISO 8601 date-time with a timezone (2024-05-01T12:00:00Z)',
    },
  });
}

/**
 * Control characters, line separators and bidirectional overrides: names are printed raw (the CLI
 * shows a token's name as the actor), where these could rewrite a terminal line or reorder text.
 */
export const NON_PRINTABLE = /[\p{Cc}\u2028\u2029\u202a-\u202e\u2066-\u2069]/u;

export function IsPrintable(): PropertyDecorator {
  return ValidateBy({
    name: 'isPrintable',
    validator: {
      validate: (value: unknown) => typeof value !== 'string' || !NON_PRINTABLE.test(value),
      defaultMessage: () => 'must contain printable characters only',
    },
  });
}
