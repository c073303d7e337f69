import { TOTAL_WEIGHT, type Serve, type WeightedVariant } from '@switchyard/core';

/**
 * The rollout editor's rules. People type percentages ("30", "33.333"); the API stores weights in
 * thousandths of a percent that must add up to exactly 100000. Anything that cannot be expressed
 * exactly (a fourth decimal, a negative, text) is rejected rather than rounded, so what is saved is
 * what was typed.
 */
export interface RolloutRow {
  variant: string;
  /** What the person typed. */
  percent: string;
}

export type ParsedPercent = { weight: number } | { problem: string };

const PERCENT = /^\s*(\d{1,3})(?:[.,](\d{0,3}))?\s*%?\s*$/;

export function parsePercent(text: string): ParsedPercent {
  if (text.trim() === '') return { problem: 'enter a percentage' };
  const match = PERCENT.exec(text);
  if (!match) {
    return /^\s*\d+[.,]\d{4,}/.test(text) ? { problem: 'use at most 3 decimals' } : { problem: 'must be a number from 0 to 100' };
  }
  const weight = Number(match[1]) * 1000 + Number((match[2] ?? '').padEnd(3, '0'));
  if (weight > TOTAL_WEIGHT) return { problem: 'must be at most 100' };
  return { weight };
}

/** 30000 → "30", 33333 → "33.333", 500 → "0.5". */
export function formatPercent(weight: number): string {
  const whole = Math.floor(weight / 1000);
  const fraction = String(weight % 1000)
    .padStart(3, '0')
    .replace(/0+$/, '');
  return fraction ? `${whole}.${fraction}` : String(whole);
}

export interface RolloutCheck {
  /** Weights per row (0 where a row is invalid). */
  weights: number[];
  total: number;
  /** Per row: why it is invalid, or undefined. */
  rowProblems: Array<string | undefined>;
  /** Why the rollout as a whole cannot be saved, or undefined when it can. */
  problem: string | undefined;
}

export function checkRollout(rows: readonly RolloutRow[]): RolloutCheck {
  const rowProblems: Array<string | undefined> = [];
  const weights: number[] = [];
  const seen = new Set<string>();
  for (const row of rows) {
    const parsed = parsePercent(row.percent);
    let problem = 'problem' in parsed ? parsed.problem : undefined;
    if (!problem && seen.has(row.variant)) problem = `variant "${row.variant}" is listed twice`;
    seen.add(row.variant);
    rowProblems.push(problem);
    weights.push('weight' in parsed ? parsed.weight : 0);
  }
  const total = weights.reduce((sum, w) => sum + w, 0);
  let problem: string | undefined;
  if (rows.length === 0) problem = 'a rollout needs at least one variant';
  else if (rowProblems.some(Boolean)) problem = 'fix the percentages marked above';
  else if (total !== TOTAL_WEIGHT) problem = `the percentages add up to ${formatPercent(total)}%; they must add up to exactly 100%`;
  return { weights, total, rowProblems, problem };
}

/** An even split over the given variants; the remainder goes to the first ones so the total is exact. */
export function evenRollout(variants: readonly string[]): RolloutRow[] {
  if (variants.length === 0) return [];
  const base = Math.floor(TOTAL_WEIGHT / variants.length);
  let remainder = TOTAL_WEIGHT - base * variants.length;
  return variants.map((variant) => {
    const extra = remainder > 0 ? 1 : 0;
    remainder -= extra;
    return { variant, percent: formatPercent(base + extra) };
  });
}

/**
 * Sets row `index` and gives what is left to the one other row that absorbs it (the last row, or
 * the first when the last is the one edited), so a two-way split stays at 100% while typing. Rows
 * that cannot absorb the change (it would go negative) are left alone and the sum check reports it.
 */
export function setPercent(rows: readonly RolloutRow[], index: number, percent: string): RolloutRow[] {
  const next = rows.map((row, i) => (i === index ? { ...row, percent } : row));
  if (next.length !== 2) return next;
  const parsed = parsePercent(percent);
  if (!('weight' in parsed)) return next;
  const other = index === 0 ? 1 : 0;
  next[other] = { ...next[other], percent: formatPercent(TOTAL_WEIGHT - parsed.weight) };
  return next;
}

export function rowsOf(rollout: readonly WeightedVariant[]): RolloutRow[] {
  return rollout.map((entry) => ({ variant: entry.variant, percent: formatPercent(entry.weight) }));
}

/** The API's rollout list, or undefined when the rows cannot be saved. */
export function toRollout(rows: readonly RolloutRow[]): WeightedVariant[] | undefined {
  const check = checkRollout(rows);
  if (check.problem) return undefined;
  return rows.map((row, i) => ({ variant: row.variant, weight: check.weights[i] }));
}

/** Salts keep users in their buckets; a new rollout gets one here so the preview matches what will be saved. */
export function newSalt(random: () => number = Math.random): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
  let salt = '';
  for (let i = 0; i < 8; i++) salt += alphabet[Math.floor(random() * alphabet.length)];
  return salt;
}

export function isRollout(serve: Serve): serve is Extract<Serve, { rollout: WeightedVariant[] }> {
  return 'rollout' in serve;
}

export interface RolloutShare {
  variant: string;
  /** Share of the bar, 0–100 (of the total when it runs over 100 %, so the bar never overflows). */
  width: number;
  /** "40 %" */
  label: string;
}

/** The stacked bar's segments: each variant's share of users, plus what no variant gets yet ("unassigned"). */
export function rolloutShares(rows: readonly RolloutRow[]): RolloutShare[] {
  const { weights, total } = checkRollout(rows);
  const scale = Math.max(total, TOTAL_WEIGHT);
  const shares = rows.map((row, i) => ({ variant: row.variant, width: (weights[i] / scale) * 100, label: `${formatPercent(weights[i])} %` }));
  if (total < TOTAL_WEIGHT) shares.push({ variant: '', width: ((TOTAL_WEIGHT - total) / scale) * 100, label: `${formatPercent(TOTAL_WEIGHT - total)} %` });
  return shares.filter((share) => share.width > 0);
}
