import { z } from 'zod';
import { ENVIRONMENT_KEY, FLAG_KEY, SCHEDULE_STATES, environmentConfigPatchSchema } from '@switchyard/flags';
import { decisionSchema } from '../change-requests/change-request.dto';
import { MAX_COMMENT_LENGTH } from '../flags/write-context';
import { oneOf, parseStrictDate } from '../request-fields';

/** POST /api/v1/flags/:key/schedules: apply `change` (an environment patch) to `environment` at `runAt`. */
export const createScheduleSchema = z.strictObject({
  environment: z.string().regex(ENVIRONMENT_KEY, 'must be an environment key'),
  runAt: z
    .string()
    .transform((value, ctx) => {
      const date = /T/.test(value) ? parseStrictDate(value) : undefined;
      if (date) return date;
      ctx.addIssue({ code: 'custom', message: 'must be an ISO 8601 date-time with a timezone, such as 2026-03-02T09:00:00Z' });
      return z.NEVER;
    })
    .meta({ description: 'When to apply the change (ISO 8601 with a timezone); must be in the future' }),
  change: environmentConfigPatchSchema.refine(
    (patch) => Object.keys(patch).length > 0,
    'must change something (enabled, rules, defaultServe, offVariant or prerequisites)',
  ),
  comment: z.string().trim().max(MAX_COMMENT_LENGTH, `must be at most ${MAX_COMMENT_LENGTH} characters`).optional(),
});

export const scheduleQuery = z.strictObject({
  flag: z.string().regex(FLAG_KEY, 'must be a flag key').optional(),
  state: oneOf(SCHEDULE_STATES).optional(),
});

/** The body of approve and cancel: why (the same shape as a change request's decision). */
export const scheduleDecisionSchema = decisionSchema;
