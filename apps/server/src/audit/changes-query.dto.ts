import { z } from 'zod';
import { CHANGE_KINDS, parseLookback } from '@switchyard/audit';
import { oneOf, pageCursor, pageLimit, parseStrictDate, printable } from '../request-fields';

/** `30m`, `2h`, `7d` back from now, or a date / ISO 8601 date-time with a timezone. */
export function parseSince(value: string, now = new Date()): Date | undefined {
  return parseLookback(value, now) ?? parseStrictDate(value);
}

export const changesQuery = z.strictObject({
  environment: printable(64).optional().meta({ example: 'production' }),
  service: printable(100).optional().meta({ example: 'quotes', description: 'The deployed service the change belongs to' }),
  kind: oneOf(CHANGE_KINDS).optional().meta({ example: 'verdict' }),
  actor: printable(300).optional().meta({ example: 'user:ada*', description: 'Exact match, or a prefix with one trailing * (system:* = the engine)' }),
  since: z
    .string()
    .refine(
      (value) => parseSince(value) !== undefined,
      'must be a duration back from now (30m, 2h, 7d) or an ISO 8601 date-time with a timezone (2024-05-01T12:00:00Z)',
    )
    .optional()
    .meta({ example: '30m', description: 'Lower bound (inclusive): 30m, 2h, 7d back from now, or an ISO 8601 date-time with a timezone' }),
  cursor: pageCursor().optional(),
  limit: pageLimit(200, 50),
});
export type ChangesQuery = z.output<typeof changesQuery>;
