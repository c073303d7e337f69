/**
 * Paths for non-JSON bodies, in the same field/path notion as JSON paths so that counting, noise
 * cancellation and suggested ignore rules work unchanged:
 *
 * - `text:line[12]` — a line of a text body (the primary's line number);
 * - `html:/html/body/h1`, `html:/html/head/script/@nonce` — an element's own text or an attribute;
 * - `xml:/root/item[2]/price` — the same for XML (`[n]` only from the second same-named sibling on);
 * - `form:csrf`, `form:tag[2]` — a form-encoded key (its second occurrence).
 *
 * An ignore rule names such a path and covers everything below it; `[*]` matches any index.
 */
export const STRUCTURED_PREFIXES = ['text:', 'html:', 'xml:', 'form:'] as const;

export function isStructuredRule(rule: string): boolean {
  return STRUCTURED_PREFIXES.some((prefix) => rule.startsWith(prefix));
}

/** Why a structured ignore rule is malformed, or undefined when it is fine. */
export function structuredRuleProblem(rule: string): string | undefined {
  if (rule.startsWith('text:')) {
    return /^text:line\[(?:\d+|\*)\]$/.test(rule) ? undefined : 'a text rule names a line: text:line[12]';
  }
  if (rule.startsWith('html:') || rule.startsWith('xml:')) {
    const path = rule.slice(rule.indexOf(':') + 1);
    return path.startsWith('/') && path.length > 1 ? undefined : `${rule.slice(0, rule.indexOf(':'))}: needs an element path (html:/html/body/h1)`;
  }
  if (rule.startsWith('form:')) return rule.length > 'form:'.length ? undefined : 'form: needs a key (form:csrf)';
  return 'not a text:, html:, xml: or form: path';
}

/** A segment `name[*]` matches `name` and `name[n]`; other segments match exactly. */
function segmentMatches(rule: string, segment: string): boolean {
  if (rule === segment) return true;
  if (!rule.endsWith('[*]')) return false;
  const base = rule.slice(0, -3);
  return segment === base || (segment.startsWith(`${base}[`) && segment.endsWith(']'));
}

/** Compiled structured ignore rules; a rule covers its own path and everything below it. */
export class StructuredIgnore {
  private readonly rules: { prefix: string; segments: string[] }[];

  constructor(rules: readonly string[]) {
    this.rules = rules.filter(isStructuredRule).map((rule) => {
      const colon = rule.indexOf(':');
      return { prefix: rule.slice(0, colon + 1), segments: splitPath(rule.slice(colon + 1)) };
    });
  }

  get empty(): boolean {
    return this.rules.length === 0;
  }

  matches(path: string): boolean {
    if (this.rules.length === 0) return false;
    const colon = path.indexOf(':');
    const prefix = path.slice(0, colon + 1);
    const segments = splitPath(path.slice(colon + 1));
    return this.rules.some(
      (rule) => rule.prefix === prefix && rule.segments.length <= segments.length && rule.segments.every((segment, i) => segmentMatches(segment, segments[i])),
    );
  }
}

function splitPath(path: string): string[] {
  return path.split('/').filter((segment) => segment !== '');
}
