import { z } from 'zod';
import { CHANGE_REQUEST_STATES, FLAG_KEY, SEGMENT_KEY } from '@switchyard/flags';
import { MAX_COMMENT_LENGTH } from '../flags/write-context';
import { oneOf } from '../request-fields';

export const changeRequestQuery = z.strictObject({
  state: oneOf(CHANGE_REQUEST_STATES).optional(),
  flag: z.string().regex(FLAG_KEY, 'must be a flag key').optional(),
  segment: z.string().regex(SEGMENT_KEY, 'must be a segment key').optional(),
});

/** The body of approve, reject and withdraw: why (required to reject). */
export const decisionSchema = z.strictObject({
  comment: z
    .string()
    .trim()
    .max(MAX_COMMENT_LENGTH, `must be at most ${MAX_COMMENT_LENGTH} characters`)
    .optional()
    .transform((text) => text || undefined),
});
