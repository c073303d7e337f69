import { z } from 'zod';
import { zodIssueDetails } from './zod-details';

const probe = z.strictObject({
  name: z.string().min(1).max(10),
  limit: z.number().int().min(1).max(500).optional(),
  tags: z.array(z.string()).max(2).optional(),
  slug: z
    .string()
    .regex(/^[a-z]+$/)
    .optional(),
  kind: z
    .string()
    .regex(/^[a-z]+$/, 'must be lowercase letters')
    .optional(),
  comment: z.string({ error: (issue) => (issue.input === undefined ? 'must say why' : undefined) }).optional(),
  rules: z.array(z.strictObject({ operator: z.enum(['in', 'eq'], { error: () => 'must be one of in, eq' }) })).optional(),
});

function problems(value: unknown): string[] {
  const result = probe.safeParse(value);
  return result.success ? [] : zodIssueDetails(result.error.issues).map((d) => `${d.path}: ${d.problem}`);
}

describe('zodIssueDetails', () => {
  it("says zod's defaults in plain words with the limit named", () => {
    expect(problems({ name: '', limit: 501, tags: ['a', 'b', 'c'], slug: 'A!' })).toEqual([
      'name: must not be empty',
      'limit: must be at most 500',
      'tags: must be at most 2 items',
      'slug: contains characters that are not allowed',
    ]);
    expect(problems({ name: 'x'.repeat(11), limit: 1.5 })).toEqual(['name: must be at most 10 characters', 'limit: must be a whole number']);
    expect(problems({ name: 7 })).toEqual(['name: must be a string']);
    expect(problems({})).toEqual(['name: is required']);
    expect(problems(undefined)).toEqual(['(body): is required']);
  });

  it('keeps a schema’s own message, and names nested fields and unknown ones by path', () => {
    expect(problems({ name: 'ok', kind: 'X', comment: 3 })).toEqual(['kind: must be lowercase letters', 'comment: must be a string']);
    expect(problems({ name: 'ok', rules: [{ operator: 'in' }, { operator: 'gt', extra: 1 }], other: true })).toEqual([
      'rules[1].operator: must be one of in, eq',
      'rules[1].extra: is not a known field',
      'other: is not a known field',
    ]);
  });
});
