import type { z } from 'zod';
import { ValidationFailedError, zodIssueDetails } from '@switchyard/errors';

/**
 * Parses a request body with a zod schema, or throws a 400 whose details name every field at fault.
 * `prefix` roots the paths when the body is one part of a larger document.
 */
export function parseBody<T extends z.ZodType>(schema: T, body: unknown, prefix = ''): z.output<T> {
  const result = schema.safeParse(body ?? undefined);
  if (result.success) return result.data;
  throw new ValidationFailedError(zodIssueDetails(result.error.issues, prefix));
}

/** A query string, or a body that may be left out: nothing sent is an empty object. */
export function parseOptional<T extends z.ZodType>(schema: T, input: unknown): z.output<T> {
  return parseBody(schema, input ?? {});
}
