import type { z } from 'zod';
import type { ErrorDetail } from './app-error';

/** `['rules', 0, 'operator']` → `rules[0].operator`. */
export function formatPath(path: ReadonlyArray<PropertyKey>, prefix = ''): string {
  let out = prefix;
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out ? `.${String(part)}` : String(part);
  }
  return out;
}

/** One zod issue in plain words; a schema's own message passes unchanged. */
export function problemOf(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case 'invalid_type':
      // A schema's own wording wins ("must say why"); zod's default is said plainly.
      if (!/^Invalid input/.test(issue.message)) return issue.message;
      if (issue.expected === 'int') return 'must be a whole number';
      return / received undefined$/.test(issue.message)
        ? 'is required'
        : `must be ${issue.expected === 'array' ? 'an array' : issue.expected === 'object' ? 'an object' : `a ${issue.expected}`}`;
    // zod's own wording ("Too big: expected array to have <=50 items") is replaced where a schema gave none.
    case 'too_big':
      return /^Too big/.test(issue.message) ? `must be at most ${String(issue.maximum)}${unitOf(issue.origin)}` : issue.message;
    case 'too_small':
      if (!/^Too small/.test(issue.message)) return issue.message;
      return issue.origin === 'string' && Number(issue.minimum) === 1
        ? 'must not be empty'
        : `must be at least ${String(issue.minimum)}${unitOf(issue.origin)}`;
    case 'invalid_format':
      return /^Invalid/.test(issue.message) ? 'contains characters that are not allowed' : issue.message;
    default:
      return issue.message;
  }
}

function unitOf(origin: string): string {
  return origin === 'string' ? ' characters' : origin === 'array' || origin === 'set' ? ' items' : '';
}

/** Flattens zod's issues into `details[]`, one per field at fault (an unknown key is its own path). */
export function zodIssueDetails(issues: readonly z.core.$ZodIssue[], prefix = ''): ErrorDetail[] {
  const details: ErrorDetail[] = [];
  for (const issue of issues) {
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) details.push({ path: formatPath([...issue.path, key], prefix), problem: 'is not a known field' });
    } else {
      details.push({ path: formatPath(issue.path, prefix) || '(body)', problem: problemOf(issue) });
    }
  }
  return details;
}
