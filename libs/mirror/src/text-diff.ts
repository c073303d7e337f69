import type { Difference } from './json-diff';
import type { StructuredIgnore } from './structured-path';

/** Past this many differing lines (after trimming the common head and tail) the diff gives up. */
export const MAX_LINE_EDITS = 200;
/** Lines longer than this are compared whole, without token detail. */
const MAX_TOKENS_PER_LINE = 2_000;

export interface TextDiffOptions {
  ignore: StructuredIgnore;
  maxDifferences?: number;
  maxEdits?: number;
}

/** Lines of a text body; "\r\n" and "\n" both end a line. */
export function splitLines(text: string): string[] {
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) if (lines[i].endsWith('\r')) lines[i] = lines[i].slice(0, -1);
  if (lines.length > 1 && lines[lines.length - 1] === '') lines.pop();
  return lines;
}

type Edit = { op: 'keep' | 'delete' | 'insert'; a: number; b: number };

/**
 * Line diff, primary first. Each changed line is one difference under `text:line[n]` (the
 * primary's line number), so a line that differs between two primaries — a timestamp, a nonce —
 * is learned as noise like a JSON field. A replaced line carries the changed token span
 * (`text:line[12]:token[3]`). Returns undefined when more than `maxEdits` lines differ: the caller
 * reports the body as changed instead (Myers is O((N+M)·D), so D is what must stay bounded).
 */
export function diffText(a: readonly string[], b: readonly string[], options: TextDiffOptions): Difference[] | undefined {
  const script = lineScript(a, b, options.maxEdits ?? MAX_LINE_EDITS);
  if (!script) return undefined;
  const limit = options.maxDifferences ?? 100;
  const out: Difference[] = [];
  const push = (line: number, difference: Omit<Difference, 'field'> & { path: string }) => {
    const field = `text:line[${line}]`;
    if (out.length < limit && !options.ignore.matches(field)) out.push({ field, ...difference });
  };
  let i = 0;
  while (i < script.length && out.length < limit) {
    if (script[i].op === 'keep') {
      i++;
      continue;
    }
    const deleted: number[] = [];
    const inserted: number[] = [];
    const at = script[i].a;
    for (; i < script.length && script[i].op !== 'keep'; i++) {
      if (script[i].op === 'delete') deleted.push(script[i].a);
      else inserted.push(script[i].b);
    }
    const paired = Math.min(deleted.length, inserted.length);
    for (let k = 0; k < paired; k++) {
      const line = deleted[k] + 1;
      const span = changedSpan(a[deleted[k]], b[inserted[k]]);
      const path = span ? `text:line[${line}]:token[${span.token}]` : `text:line[${line}]`;
      push(line, { path, kind: 'value', primary: span ? span.primary : a[deleted[k]], candidate: span ? span.candidate : b[inserted[k]] });
    }
    for (let k = paired; k < deleted.length; k++) push(deleted[k] + 1, { path: `text:line[${deleted[k] + 1}]`, kind: 'missing', primary: a[deleted[k]] });
    // An inserted line is counted where it lands in the primary: before primary line `at + 1`.
    for (let k = paired; k < inserted.length; k++) push(at + 1, { path: `text:line[${at + 1}]`, kind: 'extra', candidate: b[inserted[k]] });
  }
  return out;
}

/** Myers' O((N+M)·D) shortest edit script, after trimming the common head and tail; undefined past `maxEdits`. */
function lineScript(a: readonly string[], b: readonly string[], maxEdits: number): Edit[] | undefined {
  let head = 0;
  while (head < a.length && head < b.length && a[head] === b[head]) head++;
  let tail = 0;
  while (tail < a.length - head && tail < b.length - head && a[a.length - 1 - tail] === b[b.length - 1 - tail]) tail++;
  const n = a.length - head - tail;
  const m = b.length - head - tail;
  const middle = myers(n, m, (x, y) => a[head + x] === b[head + y], maxEdits);
  if (!middle) return undefined;
  const out: Edit[] = [];
  for (let k = 0; k < head; k++) out.push({ op: 'keep', a: k, b: k });
  for (const edit of middle) out.push({ op: edit.op, a: edit.a + head, b: edit.b + head });
  for (let k = 0; k < tail; k++) out.push({ op: 'keep', a: head + n + k, b: head + m + k });
  return out;
}

function myers(n: number, m: number, equal: (x: number, y: number) => boolean, maxEdits: number): Edit[] | undefined {
  if (n === 0 && m === 0) return [];
  const max = Math.min(n + m, maxEdits);
  if (Math.abs(n - m) > max) return undefined;
  const offset = max + 1;
  const v = new Int32Array(2 * max + 3);
  const trace: Int32Array[] = [];
  for (let d = 0; d <= max; d++) {
    trace.push(v.slice());
    for (let k = -d; k <= d; k += 2) {
      let x = k === -d || (k !== d && v[offset + k - 1] < v[offset + k + 1]) ? v[offset + k + 1] : v[offset + k - 1] + 1;
      let y = x - k;
      while (x < n && y < m && equal(x, y)) {
        x++;
        y++;
      }
      v[offset + k] = x;
      if (x >= n && y >= m) return backtrack(trace, offset, n, m, d);
    }
  }
  return undefined;
}

function backtrack(trace: Int32Array[], offset: number, n: number, m: number, dEnd: number): Edit[] {
  const edits: Edit[] = [];
  let x = n;
  let y = m;
  for (let d = dEnd; d > 0; d--) {
    const v = trace[d];
    const k = x - y;
    const down = k === -d || (k !== d && v[offset + k - 1] < v[offset + k + 1]);
    const prevK = down ? k + 1 : k - 1;
    const prevX = v[offset + prevK];
    const prevY = prevX - prevK;
    while (x > prevX && y > prevY) edits.push({ op: 'keep', a: --x, b: --y });
    if (down) edits.push({ op: 'insert', a: x, b: --y });
    else edits.push({ op: 'delete', a: --x, b: y });
  }
  while (x > 0 && y > 0) edits.push({ op: 'keep', a: --x, b: --y });
  return edits.reverse();
}

/** Word runs, whitespace runs and single other characters; a linear scan, no regex. */
export function tokenize(line: string): string[] {
  const tokens: string[] = [];
  let start = 0;
  let kind = -1;
  for (let i = 0; i < line.length; i++) {
    const c = line.charCodeAt(i);
    const k = isWord(c) ? 0 : c === 0x20 || c === 0x09 ? 1 : 2;
    if (i > start && (k !== kind || k === 2)) {
      tokens.push(line.slice(start, i));
      start = i;
    }
    kind = k;
  }
  if (start < line.length) tokens.push(line.slice(start));
  return tokens;
}

function isWord(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c === 0x5f || c > 0x7f;
}

/** The changed run of tokens between two versions of a line: common leading and trailing tokens trimmed. */
function changedSpan(a: string, b: string): { token: number; primary: string; candidate: string } | undefined {
  if (a.length > MAX_TOKENS_PER_LINE * 8 || b.length > MAX_TOKENS_PER_LINE * 8) return undefined;
  const ta = tokenize(a);
  const tb = tokenize(b);
  if (ta.length > MAX_TOKENS_PER_LINE || tb.length > MAX_TOKENS_PER_LINE) return undefined;
  let head = 0;
  while (head < ta.length && head < tb.length && ta[head] === tb[head]) head++;
  let tail = 0;
  while (tail < ta.length - head && tail < tb.length - head && ta[ta.length - 1 - tail] === tb[tb.length - 1 - tail]) tail++;
  return { token: head + 1, primary: ta.slice(head, ta.length - tail).join(''), candidate: tb.slice(head, tb.length - tail).join('') };
}
