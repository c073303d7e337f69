// Regexes for the `matches` operator, run by RE2 (the pure-JS port `re2js`).
//
// Flag rules are authored by people but evaluated against values that end users control, and a
// backtracking engine (JavaScript's RegExp) can take exponential or high polynomial time on
// patterns as plain as `^a*a*a*a*$`. RE2 matches in time linear in the input, whatever the
// pattern, so every SDK and the OFREP endpoint share one engine that cannot be stalled.
//
// Patterns are written in JavaScript syntax and translated to RE2's (`\u00e9`, `(?<name>…)`,
// `[^]`…). What RE2 cannot express by design, backreferences and lookaround, is refused with
// that reason. Cost is also linear in the compiled program's size, so repetition counts that
// blow the program up (`.{1000}`) are refused too; with the 1024-character input limit that
// bounds the work of one test.

import { RE2JS } from 're2js';

export const MAX_REGEX_LENGTH = 256;
export const MAX_MATCH_INPUT_LENGTH = 1024;
/** RE2's instruction count for a pattern; realistic patterns stay well under 100. */
export const MAX_REGEX_PROGRAM_SIZE = 300;

/** A compiled `matches` operand. */
export interface FlagRegex {
  test(input: string): boolean;
}

/** Returns why `pattern` is not allowed for the `matches` operator, or undefined if it is. */
export function checkRegex(pattern: string): string | undefined {
  const compiled = compileRegex(pattern, false);
  return typeof compiled === 'string' ? compiled : undefined;
}

/** Compiles `pattern` for the `matches` operator, or returns why it is not allowed. Never throws. */
export function compileRegex(pattern: unknown, caseInsensitive: boolean): FlagRegex | string {
  if (typeof pattern !== 'string') return 'must be a string';
  if (pattern.length > MAX_REGEX_LENGTH) {
    return `longer than ${MAX_REGEX_LENGTH} characters (${pattern.length})`;
  }
  const unsupported = findUnsupported(pattern);
  if (unsupported !== undefined) return unsupported;
  let re: RE2JS;
  try {
    re = RE2JS.compile(RE2JS.translateRegExp(pattern), caseInsensitive ? RE2JS.CASE_INSENSITIVE : 0);
  } catch (err) {
    return `does not compile: ${err instanceof Error ? err.message.replace(/^error parsing regexp: /, '') : String(err)}`;
  }
  const size = re.programSize();
  if (size > MAX_REGEX_PROGRAM_SIZE) {
    return `too complex (${size} RE2 instructions, at most ${MAX_REGEX_PROGRAM_SIZE}): use smaller repetition counts`;
  }
  return re;
}

/** Names the first construct RE2 cannot run in linear time, so the refusal says why. */
function findUnsupported(p: string): string | undefined {
  for (let i = 0; i < p.length; i++) {
    const c = p[i];
    if (c === '\\') {
      const next = p[i + 1];
      if ((next >= '1' && next <= '9') || (next === 'k' && p[i + 2] === '<')) {
        return 'backreferences are not supported (RE2 matches in linear time and cannot express them)';
      }
      i++;
    } else if (c === '[') {
      // Skip the class: nothing inside it is a group or a backreference. A ']' right after
      // '[' or '[^' is part of the class in RE2 and ends an empty class in JavaScript; either
      // way no lookaround can hide in it.
      let j = i + 1;
      if (p[j] === '^') j++;
      while (j < p.length && p[j] !== ']') j += p[j] === '\\' ? 2 : 1;
      i = j;
    } else if (c === '(' && p[i + 1] === '?') {
      if (p[i + 2] === '=' || p[i + 2] === '!') {
        return 'lookahead is not supported (RE2 matches in linear time and cannot express it)';
      }
      if (p[i + 2] === '<' && (p[i + 3] === '=' || p[i + 3] === '!')) {
        return 'lookbehind is not supported (RE2 matches in linear time and cannot express it)';
      }
    }
  }
  return undefined;
}
