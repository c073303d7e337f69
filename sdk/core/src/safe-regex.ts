// Guards the `matches` operator against catastrophic backtracking.
//
// Flag rules are authored by people but evaluated against values that end users control, and
// JS regular expressions cannot be interrupted once they start. So we only accept patterns
// whose worst case stays polynomial:
//   - no backreferences and no lookaround (both defeat the reasoning below and are rarely
//     needed for targeting);
//   - star height 1: a group repeated more than once (`*`, `+`, `{n,m}` with m > 1) must not
//     contain a variable quantifier or an alternation, which rules out `(a+)+`, `(a*)*`,
//     `(a|aa)+` and friends, the classic exponential shapes.
// Combined with the pattern length cap and evaluating only the first
// MAX_MATCH_INPUT_LENGTH characters of a value, the remaining (polynomial) cost is bounded.
//
// The scanner follows JavaScript's non-unicode regex syntax, which is also how patterns are
// compiled for evaluation. It runs only after the pattern is known to compile, so it can be
// permissive about syntax errors.

export const MAX_REGEX_LENGTH = 256;
export const MAX_MATCH_INPUT_LENGTH = 1024;

interface GroupFrame {
  hasVariableQuantifier: boolean;
  hasAlternation: boolean;
}

const QUANTIFIER_BRACES = /^\{(\d+)(,(\d*))?\}/;

/** Returns why `pattern` is not allowed for the `matches` operator, or undefined if it is. */
export function checkRegex(pattern: string): string | undefined {
  if (typeof pattern !== 'string') return 'must be a string';
  if (pattern.length > MAX_REGEX_LENGTH) {
    return `longer than ${MAX_REGEX_LENGTH} characters (${pattern.length})`;
  }
  try {
    new RegExp(pattern);
  } catch (err) {
    return `does not compile: ${err instanceof Error ? err.message : String(err)}`;
  }
  return checkStructure(pattern);
}

function checkStructure(p: string): string | undefined {
  const stack: GroupFrame[] = [{ hasVariableQuantifier: false, hasAlternation: false }];
  // What a following quantifier would apply to.
  let previous: 'nothing' | 'atom' | 'group' = 'nothing';
  let previousGroup: GroupFrame | undefined;
  let i = 0;
  const n = p.length;

  const quantify = (min: number, max: number): string | undefined => {
    if (previous === 'group' && max > 1 && previousGroup !== undefined) {
      if (previousGroup.hasVariableQuantifier) return 'nested quantifier';
      if (previousGroup.hasAlternation) {
        return 'nested quantifier: a repeated group must not contain an alternation (use a character class instead)';
      }
    }
    if (min !== max) stack[stack.length - 1].hasVariableQuantifier = true;
    previous = 'nothing';
    return undefined;
  };

  while (i < n) {
    const c = p[i];
    if (c === '\\') {
      const next = p[i + 1];
      if (next >= '1' && next <= '9') return 'backreferences are not allowed';
      if (next === 'k' && p[i + 2] === '<') return 'backreferences are not allowed';
      previous = 'atom';
      i += 2;
    } else if (c === '[') {
      // In JS a ']' right after '[' or '[^' closes the (empty) class, so no special case.
      let j = i + 1;
      if (p[j] === '^') j++;
      while (j < n && p[j] !== ']') j += p[j] === '\\' ? 2 : 1;
      previous = 'atom';
      i = j + 1;
    } else if (c === '(') {
      if (p.startsWith('(?=', i) || p.startsWith('(?!', i)) return 'lookahead is not allowed';
      if (p.startsWith('(?<=', i) || p.startsWith('(?<!', i)) return 'lookbehind is not allowed';
      stack.push({ hasVariableQuantifier: false, hasAlternation: false });
      if (p.startsWith('(?<', i)) {
        const close = p.indexOf('>', i);
        i = close < 0 ? n : close + 1;
      } else if (p[i + 1] === '?') {
        // (?: and any other (?x… form that compiled.
        const colon = p.indexOf(':', i);
        i = colon < 0 ? n : colon + 1;
      } else {
        i++;
      }
      previous = 'nothing';
    } else if (c === ')') {
      const closed = stack.length > 1 ? stack.pop()! : stack[0];
      const parent = stack[stack.length - 1];
      if (closed !== parent) {
        parent.hasVariableQuantifier ||= closed.hasVariableQuantifier;
        parent.hasAlternation ||= closed.hasAlternation;
      }
      previous = 'group';
      previousGroup = closed;
      i++;
    } else if (c === '|') {
      stack[stack.length - 1].hasAlternation = true;
      previous = 'nothing';
      i++;
    } else if (c === '*' || c === '+' || c === '?') {
      const problem = quantify(c === '+' ? 1 : 0, c === '?' ? 1 : Infinity);
      if (problem !== undefined) return problem;
      i++;
      if (p[i] === '?') i++;
    } else if (c === '{') {
      const m = QUANTIFIER_BRACES.exec(p.slice(i));
      if (m === null) {
        // Not a quantifier: a literal '{' in non-unicode mode.
        previous = 'atom';
        i++;
        continue;
      }
      const min = Number(m[1]);
      const max = m[2] === undefined ? min : m[3] === '' ? Infinity : Number(m[3]);
      const problem = quantify(min, max);
      if (problem !== undefined) return problem;
      i += m[0].length;
      if (p[i] === '?') i++;
    } else if (c === '^' || c === '$') {
      previous = 'nothing';
      i++;
    } else {
      previous = 'atom';
      i++;
    }
  }
  return undefined;
}
