import { z } from 'zod';
import { FLAG_TYPES, OPERATORS } from '@switchyard/core';
import { ValidationFailedError, type ErrorDetail } from '@switchyard/errors';

/**
 * Request shapes for flags, segments and environments. Structure is checked here (with paths for
 * every problem); meaning — variants exist, weights sum to 100000, regexes are safe, segments
 * exist — is checked by sdk/core's validateFlagConfig, the same code that evaluates.
 */
export const FLAG_KEY = /^[a-z0-9][a-z0-9._-]{0,127}$/;
export const SEGMENT_KEY = /^[a-z0-9][a-z0-9._-]{0,127}$/;
export const ENVIRONMENT_KEY = /^[a-z0-9][a-z0-9_-]{0,63}$/;

const text = (max: number) => z.string().max(max, `must be at most ${max} characters`);

/** Names are shown raw (UI, CLI, audit): no control characters, line separators or bidi overrides. */
const name = (max: number) => text(max).regex(/^[^\p{Cc}\u2028\u2029\u202a-\u202e\u2066-\u2069]*$/u, 'must contain printable characters only');
/** Free text may span lines (tab, newline) but holds no other control characters. */
const prose = (max: number) => text(max).regex(/^(?:[\t\n\r]|[^\p{Cc}\u202a-\u202e\u2066-\u2069])*$/u, 'must not contain control characters');

export const conditionSchema = z.strictObject({
  attribute: text(256),
  operator: z.enum(OPERATORS as [string, ...string[]], { error: () => `must be one of ${OPERATORS.join(', ')}` }),
  values: z.array(z.union([z.string().max(1024), z.number()], { error: () => 'must be a string or a number' })).max(1000, 'must have at most 1000 values'),
  negate: z.boolean().optional(),
  caseInsensitive: z.boolean().optional(),
});

const weightedVariant = z.strictObject({
  variant: text(128).min(1, 'must not be empty'),
  weight: z.number().int('must be an integer (thousandths of a percent)').min(0, 'must be ≥ 0').max(100000, 'must be ≤ 100000'),
});

const variantServe = z.strictObject({ variant: text(128).min(1, 'must not be empty') });
const rolloutServe = z.strictObject({
  rollout: z.array(weightedVariant).min(1, 'must list at least one variant').max(100),
  bucketBy: text(256).min(1).optional(),
  salt: text(64).min(1).optional(),
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
    .regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be 1-64 characters of A-Z a-z 0-9 _ -')
    .optional(),
  description: prose(500).optional(),
  conditions: z.array(conditionSchema).max(100, 'must have at most 100 conditions'),
  serve: serveSchema,
});

export const environmentConfigPatchSchema = z.strictObject({
  enabled: z.boolean().optional(),
  offVariant: text(128).min(1).optional(),
  rules: z.array(ruleSchema).max(500, 'must have at most 500 rules').optional(),
  defaultServe: serveSchema.optional(),
});

const variants = z.record(z.string().regex(/^[A-Za-z0-9_.-]{1,128}$/, 'variant names are 1-128 characters of A-Z a-z 0-9 _ . -'), z.unknown());

export const createFlagSchema = z.strictObject({
  key: z.string().regex(FLAG_KEY, 'must match ^[a-z0-9][a-z0-9._-]{0,127}$'),
  name: name(200).min(1, 'must not be empty').optional(),
  description: prose(2000).optional(),
  tags: z
    .array(z.string().regex(/^[A-Za-z0-9_.:-]{1,64}$/, 'tags are 1-64 characters of A-Z a-z 0-9 _ . : -'))
    .max(50)
    .optional(),
  owner: name(200).optional(),
  type: z.enum(FLAG_TYPES as [string, ...string[]], { error: () => `must be one of ${FLAG_TYPES.join(', ')}` }),
  variants: variants.optional(),
  environments: z.record(z.string(), environmentConfigPatchSchema).optional(),
});

export const updateFlagSchema = z.strictObject({
  name: name(200).min(1, 'must not be empty').optional(),
  description: prose(2000).optional(),
  tags: z
    .array(z.string().regex(/^[A-Za-z0-9_.:-]{1,64}$/, 'tags are 1-64 characters of A-Z a-z 0-9 _ . : -'))
    .max(50)
    .optional(),
  owner: name(200).nullable().optional(),
  variants: variants.optional(),
  archived: z.boolean().optional(),
});

export const toggleSchema = z.strictObject({ enabled: z.boolean().optional() });

export const createSegmentSchema = z.strictObject({
  key: z.string().regex(SEGMENT_KEY, 'must match ^[a-z0-9][a-z0-9._-]{0,127}$'),
  name: name(200).min(1, 'must not be empty').optional(),
  description: prose(2000).optional(),
  conditions: z.array(conditionSchema).max(100, 'must have at most 100 conditions'),
});

export const updateSegmentSchema = z.strictObject({
  name: name(200).min(1, 'must not be empty').optional(),
  description: prose(2000).optional(),
  conditions: z.array(conditionSchema).max(100, 'must have at most 100 conditions').optional(),
});

export const createEnvironmentSchema = z.strictObject({
  key: z.string().regex(ENVIRONMENT_KEY, 'must match ^[a-z0-9][a-z0-9_-]{0,63}$'),
  name: name(100).min(1, 'must not be empty').optional(),
  requiresConfirmation: z.boolean().optional(),
});

export const updateEnvironmentSchema = z.strictObject({
  name: name(100).min(1, 'must not be empty').optional(),
  requiresConfirmation: z.boolean().optional(),
});

export type CreateFlagInput = z.output<typeof createFlagSchema>;
export type UpdateFlagInput = z.output<typeof updateFlagSchema>;
export type EnvironmentConfigPatch = z.output<typeof environmentConfigPatchSchema>;
export type CreateSegmentInput = z.output<typeof createSegmentSchema>;
export type UpdateSegmentInput = z.output<typeof updateSegmentSchema>;
export type CreateEnvironmentInput = z.output<typeof createEnvironmentSchema>;
export type UpdateEnvironmentInput = z.output<typeof updateEnvironmentSchema>;

/** `['rules', 0, 'operator']` → `rules[0].operator`. */
export function formatPath(path: ReadonlyArray<PropertyKey>, prefix = ''): string {
  let out = prefix;
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out ? `.${String(part)}` : String(part);
  }
  return out;
}

function problemOf(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case 'invalid_type':
      return / received undefined$/.test(issue.message)
        ? 'is required'
        : `must be ${issue.expected === 'array' ? 'an array' : issue.expected === 'object' ? 'an object' : `a ${issue.expected}`}`;
    default:
      return issue.message;
  }
}

/** Parses with a zod schema, or throws a 400 whose details name every field at fault. */
export function parseBody<T extends z.ZodType>(schema: T, body: unknown, prefix = ''): z.output<T> {
  const result = schema.safeParse(body ?? undefined);
  if (result.success) return result.data;
  const details: ErrorDetail[] = [];
  for (const issue of result.error.issues) {
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) details.push({ path: formatPath([...issue.path, key], prefix), problem: 'is not a known field' });
    } else {
      details.push({ path: formatPath(issue.path, prefix) || '(body)', problem: problemOf(issue) });
    }
  }
  throw new ValidationFailedError(details);
}

/** JSON Schema of a request body, for the OpenAPI document. */
export function openApiSchema(schema: z.ZodType): Record<string, unknown> {
  return z.toJSONSchema(schema, { unrepresentable: 'any', io: 'input' }) as Record<string, unknown>;
}
