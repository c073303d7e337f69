import type { FlagType } from '@switchyard/core';

/**
 * The variant table's rows. Values are kept as typed text ("true", "12.5", "blue", a JSON object)
 * so the page never fights the keyboard; {@link variantsOf} turns the rows into the API's
 * `variants` object, or names each row's problem.
 */
export interface VariantRow {
  /** Stable React key. */
  uid: string;
  name: string;
  value: string;
  /** What the variant means, in the team's words (optional). */
  description: string;
}

export interface RowProblems {
  name?: string;
  value?: string;
  description?: string;
}

const NAME = /^[A-Za-z0-9_.-]{1,128}$/;
const NUMBER = /^\s*-?(\d+(\.\d*)?|\.\d+)(e[+-]?\d+)?\s*$/i;

let uidCounter = 0;
const nextUid = () => `v${(uidCounter += 1)}`;

export function textOf(type: FlagType, value: unknown): string {
  if (type === 'object') return JSON.stringify(value, null, 2);
  if (type === 'string' && typeof value === 'string') return value;
  return typeof value === 'string' ? value : JSON.stringify(value);
}

export function rowsOf(type: FlagType, variants: Record<string, unknown>, descriptions: Record<string, string> = {}): VariantRow[] {
  return Object.entries(variants).map(([name, value]) => ({ uid: nextUid(), name, value: textOf(type, value), description: descriptions[name] ?? '' }));
}

export function newRow(type: FlagType, rows: readonly VariantRow[]): VariantRow {
  const value = { boolean: 'true', string: '', number: '0', object: '{}' }[type];
  let n = rows.length + 1;
  while (rows.some((row) => row.name === `variant-${n}`)) n += 1;
  return { uid: nextUid(), name: `variant-${n}`, value, description: '' };
}

function parseValue(type: FlagType, text: string): { value: unknown } | { problem: string } {
  switch (type) {
    case 'boolean':
      return text === 'true' || text === 'false' ? { value: text === 'true' } : { problem: 'pick true or false' };
    case 'string':
      return { value: text };
    case 'number':
      return NUMBER.test(text) && Number.isFinite(Number(text)) ? { value: Number(text) } : { problem: 'must be a number, e.g. 10 or 2.5' };
    case 'object':
      try {
        const value = JSON.parse(text) as unknown;
        return value !== null && typeof value === 'object' && !Array.isArray(value) ? { value } : { problem: 'must be a JSON object, e.g. {"color": "blue"}' };
      } catch {
        return { problem: 'is not valid JSON' };
      }
  }
}

/** The API's `variantDescriptions` for valid rows: only rows with a text. */
export function descriptionsOf(rows: readonly VariantRow[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const row of rows) if (row.description.trim()) out[row.name.trim()] = row.description.trim();
  return out;
}

/** The API's `variants`, or per-row problems (same order as `rows`) and a table-wide `problem`. */
export function variantsOf(type: FlagType, rows: readonly VariantRow[]): { variants?: Record<string, unknown>; problems: RowProblems[]; problem?: string } {
  const variants: Record<string, unknown> = {};
  const seen = new Set<string>();
  const problems = rows.map((row): RowProblems => {
    const problem: RowProblems = {};
    const name = row.name.trim();
    if (!NAME.test(name)) problem.name = "use 1–128 letters, digits, '_', '.' or '-'";
    else if (seen.has(name)) problem.name = `"${name}" is used twice`;
    seen.add(name);
    if (row.description.trim().length > 500) problem.description = 'use at most 500 characters';
    const parsed = parseValue(type, row.value);
    if ('problem' in parsed) problem.value = parsed.problem;
    else variants[name] = parsed.value;
    return problem;
  });
  if (rows.length === 0) return { problems, problem: 'a flag needs at least one variant' };
  return problems.some((p) => p.name || p.value || p.description) ? { problems } : { variants, problems };
}
