import { z } from 'zod';
import { pageCursor, pageLimit, strictDate } from '../request-fields';

export const auditQuery = z.strictObject({
  target: z
    .string()
    .max(300)
    .optional()
    .meta({ example: 'flag:checkout*', description: 'Exact match, or a prefix with one trailing * (flag:checkout* matches flag:checkout.new-flow)' }),
  actor: z.string().max(300).optional().meta({ example: 'user:ada*', description: 'Exact match, or a prefix with one trailing * (token:* = every token)' }),
  action: z.string().max(100).optional().meta({ example: 'flag.toggled' }),
  environment: z.string().max(64).optional().meta({ example: 'production' }),
  since: strictDate().optional().meta({ description: 'Lower bound (inclusive): a date, or an ISO 8601 date-time with a timezone' }),
  until: strictDate().optional().meta({ description: 'Upper bound (exclusive): a date, or an ISO 8601 date-time with a timezone' }),
  cursor: pageCursor().optional(),
  limit: pageLimit(500, 50),
});
export type AuditQuery = z.output<typeof auditQuery>;
