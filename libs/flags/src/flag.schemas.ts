import { z } from 'zod';
import { FLAG_TYPES, OPERATORS } from '@switchyard/core';
import { problemOf } from '@switchyard/errors';

/**
 * Request shapes for flags, segments and environments. Structure is checked here (with paths for
 * every problem); meaning — variants exist, weights sum to 100000, regexes are safe, segments
 * exist — is checked by sdk/core's validateFlagConfig, the same code that evaluates.
 */
export const FLAG_KEY = /^[a-z0-9][a-z0-9._-]{0,127}$/;
export const SEGMENT_KEY = /^[a-z0-9][a-z0-9._-]{0,127}$/;
export const ENVIRONMENT_KEY = /^[a-z0-9][a-z0-9_-]{0,63}$/;

const text = (max: number) => z.string().max(max, `must be at most ${max} characters`);
/** Text that must be there: an empty string is refused in plain words, not as zod's `>=1 characters`. */
const filled = (max: number) => text(max).min(1, 'must not be empty');

const keyRule = (max: number, extra: string) => `use 1–${max} lowercase letters, digits, ${extra} or '-', starting with a letter or digit`;

/** Names are shown raw (UI, CLI, audit): no control characters, line separators or bidi overrides. */
const name = (max: number) => text(max).regex(/^[^\p{Cc}\u2028\u2029\u202a-\u202e\u2066-\u2069]*$/u, 'must contain printable characters only');
/** Free text may span lines (tab, newline) but holds no other control characters. */
const prose = (max: number) => text(max).regex(/^(?:[\t\n\r]|[^\p{Cc}\u202a-\u202e\u2066-\u2069])*$/u, 'must not contain control characters');

export const conditionSchema = z.strictObject({
  attribute: text(256),
  operator: z.enum(OPERATORS as [string, ...string[]], { error: () => `must be one of ${OPERATORS.join(', ')}` }),
  values: z.array(z.union([text(1024), z.number()], { error: () => 'must be a string or a number' })).max(1000, 'at most 1000 values'),
  negate: z.boolean().optional(),
  caseInsensitive: z.boolean().optional(),
});

const weightedVariant = z.strictObject({
  variant: filled(128),
  weight: z
    .number()
    .int('must be a whole number of thousandths of a percent (100000 = 100 %)')
    .min(0, 'must not be negative')
    .max(100000, 'must be at most 100000 (100 %)'),
});

const variantServe = z.strictObject({ variant: filled(128) });
const rolloutServe = z.strictObject({
  rollout: z.array(weightedVariant).min(1, 'must list at least one variant').max(100, 'at most 100 variants in a rollout'),
  bucketBy: filled(256).optional(),
  salt: filled(64).optional(),
});

/**
 * `{variant}` or `{rollout, bucketBy?, salt?}`. Picked by the presence of `rollout` rather than as a
 * plain union, so a mistake deep inside a rollout is reported at its own path (rollout[1].weight).
 */
export const serveSchema = z
  .unknown()
  .transform((value, ctx) => {
    const rollout = typeof value === 'object' && value !== null && 'rollout' in value;
    const result = (rollout ? rolloutServe : variantServe).safeParse(value);
    if (result.success) return result.data as { variant: string } | z.output<typeof rolloutServe>;
    for (const issue of result.error.issues) {
      if (issue.code === 'unrecognized_keys') {
        for (const key of issue.keys) ctx.addIssue({ code: 'custom', path: [...issue.path, key], message: 'is not a known field' });
      } else if (issue.path.length === 0 && !rollout) {
        ctx.addIssue({ code: 'custom', path: [], message: 'must be {"variant": name} or {"rollout": [{variant, weight}], "bucketBy"?}' });
      } else {
        ctx.addIssue({ code: 'custom', path: issue.path, message: problemOf(issue) });
      }
    }
    return z.NEVER;
  })
  .meta({ oneOf: [z.toJSONSchema(variantServe), z.toJSONSchema(rolloutServe)] });

export const ruleSchema = z.strictObject({
  id: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,64}$/, "use 1–64 letters, digits, '_' or '-'")
    .optional(),
  description: prose(500).optional(),
  conditions: z.array(conditionSchema).max(100, 'at most 100 conditions'),
  serve: serveSchema,
});

const variantName = z.string().regex(/^[A-Za-z0-9_.-]{1,128}$/, "use 1–128 letters, digits, '_', '.' or '-' in variant names");

/**
 * The flag is served only when flag `flag` serves one of `variants` for the same context (else its
 * off variant). That the flag and variants exist, and that no cycle forms, is checked by the service.
 */
export const prerequisiteSchema = z.strictObject({
  flag: z.string().regex(FLAG_KEY, 'must be a flag key'),
  variants: z.array(variantName).min(1, 'must list at least one variant').max(100, 'at most 100 variants'),
});

export const environmentConfigPatchSchema = z.strictObject({
  enabled: z.boolean().optional(),
  offVariant: filled(128).optional(),
  rules: z.array(ruleSchema).max(500, 'at most 500 rules').optional(),
  defaultServe: serveSchema.optional(),
  /** Replaces the list; `[]` removes every prerequisite. */
  prerequisites: z.array(prerequisiteSchema).max(20, 'at most 20 prerequisites').optional(),
});
const variants = z.record(variantName, z.unknown());
/** Keyed by variant name; each must name a variant of the flag (checked by the service). */
const variantDescriptions = z.record(variantName, prose(500));

const tags = z.array(z.string().regex(/^[A-Za-z0-9_.:-]{1,64}$/, "use 1–64 letters, digits, '_', '.', ':' or '-' in a tag")).max(50, 'at most 50 tags');

export const createFlagSchema = z.strictObject({
  key: z.string().regex(FLAG_KEY, keyRule(128, "'.', '_'")),
  name: name(200).min(1, 'must not be empty').optional(),
  description: prose(2000).optional(),
  tags: tags.optional(),
  clientSide: z.boolean({ error: () => 'must be true or false' }).optional(),
  owner: name(200).optional(),
  type: z.enum(FLAG_TYPES as [string, ...string[]], { error: () => `must be one of ${FLAG_TYPES.join(', ')}` }),
  variants: variants.optional(),
  variantDescriptions: variantDescriptions.optional(),
  environments: z.record(z.string(), environmentConfigPatchSchema).optional(),
});

export const updateFlagSchema = z.strictObject({
  name: name(200).min(1, 'must not be empty').optional(),
  description: prose(2000).optional(),
  tags: tags.optional(),
  clientSide: z.boolean({ error: () => 'must be true or false' }).optional(),
  owner: name(200).nullable().optional(),
  variants: variants.optional(),
  variantDescriptions: variantDescriptions.optional(),
  archived: z.boolean().optional(),
});

export const toggleSchema = z.strictObject({ enabled: z.boolean().optional() });

export const createSegmentSchema = z.strictObject({
  key: z.string().regex(SEGMENT_KEY, keyRule(128, "'.', '_'")),
  name: name(200).min(1, 'must not be empty').optional(),
  description: prose(2000).optional(),
  conditions: z.array(conditionSchema).max(100, 'at most 100 conditions'),
});

export const updateSegmentSchema = z.strictObject({
  name: name(200).min(1, 'must not be empty').optional(),
  description: prose(2000).optional(),
  conditions: z.array(conditionSchema).max(100, 'at most 100 conditions').optional(),
});

export const createEnvironmentSchema = z.strictObject({
  key: z.string().regex(ENVIRONMENT_KEY, keyRule(64, "'_'")),
  name: name(100).min(1, 'must not be empty').optional(),
  requiresConfirmation: z.boolean().optional(),
  requiresComment: z.boolean().optional(),
  requireApproval: z.boolean().optional(),
  killSwitchSkipsApproval: z.boolean().optional(),
});

export const updateEnvironmentSchema = z.strictObject({
  name: name(100).min(1, 'must not be empty').optional(),
  requiresConfirmation: z.boolean().optional(),
  requiresComment: z.boolean().optional(),
  requireApproval: z.boolean().optional(),
  killSwitchSkipsApproval: z.boolean().optional(),
});

export type CreateFlagInput = z.output<typeof createFlagSchema>;
export type UpdateFlagInput = z.output<typeof updateFlagSchema>;
export type EnvironmentConfigPatch = z.output<typeof environmentConfigPatchSchema>;
export type CreateSegmentInput = z.output<typeof createSegmentSchema>;
export type UpdateSegmentInput = z.output<typeof updateSegmentSchema>;
export type CreateEnvironmentInput = z.output<typeof createEnvironmentSchema>;
export type UpdateEnvironmentInput = z.output<typeof updateEnvironmentSchema>;
