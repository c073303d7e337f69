/**
 * The small JSONPath subset that compare rules use: `$`, `.key`, `['key']`, `[3]`, `[*]`, `.*`
 * and `..key` (any depth). Concrete paths are arrays of keys and indices; patterns match them
 * exactly, so ignoring `$.meta` stops the diff at `meta` and never looks inside.
 */
export type PathSegment = string | number;

type PatternSegment =
  | { kind: 'key'; name: string }
  | { kind: 'index'; index: number }
  | { kind: 'any' }
  | { kind: 'descend'; inner: { kind: 'key'; name: string } | { kind: 'any' } };

export class PathPatternError extends Error {}

const IDENTIFIER = /^[A-Za-z_$][\w$-]*$/;

export class PathPattern {
  private constructor(
    readonly source: string,
    private readonly segments: readonly PatternSegment[],
  ) {}

  static parse(source: string): PathPattern {
    return new PathPattern(source, parseSegments(source));
  }

  matches(path: readonly PathSegment[]): boolean {
    return this.matchFrom(0, path, 0);
  }

  private matchFrom(pi: number, path: readonly PathSegment[], si: number): boolean {
    if (pi === this.segments.length) return si === path.length;
    const segment = this.segments[pi];
    if (segment.kind === 'descend') {
      for (let k = si; k < path.length; k++) {
        if (matchOne(segment.inner, path[k]) && this.matchFrom(pi + 1, path, k + 1)) return true;
      }
      return false;
    }
    if (si === path.length) return false;
    return matchOne(segment, path[si]) && this.matchFrom(pi + 1, path, si + 1);
  }
}

function matchOne(segment: Exclude<PatternSegment, { kind: 'descend' }>, value: PathSegment): boolean {
  switch (segment.kind) {
    case 'key':
      return value === segment.name;
    case 'index':
      return value === segment.index;
    case 'any':
      return true;
  }
}

function parseSegments(source: string): PatternSegment[] {
  if (!source.startsWith('$')) throw new PathPatternError('a path starts with $ (e.g. $.timestamp)');
  const segments: PatternSegment[] = [];
  let i = 1;
  const fail = (problem: string): never => {
    throw new PathPatternError(`${problem} at character ${i + 1} of "${source}"`);
  };
  const readName = (): string => {
    const match = /^[A-Za-z_$][\w$-]*/.exec(source.slice(i));
    if (!match) return fail('expected a key name');
    i += match[0].length;
    return match[0];
  };
  const readBracket = (): Exclude<PatternSegment, { kind: 'descend' }> => {
    const close = source.indexOf(']', i);
    if (close < 0) return fail('unclosed [');
    const inner = source.slice(i + 1, close).trim();
    i = close + 1;
    if (inner === '*') return { kind: 'any' };
    if (/^\d+$/.test(inner)) return { kind: 'index', index: Number(inner) };
    const quoted = /^'(.*)'$|^"(.*)"$/.exec(inner);
    if (quoted) return { kind: 'key', name: quoted[1] ?? quoted[2] };
    return fail(`"[${inner}]" is not [n], [*] or ['key']`);
  };
  while (i < source.length) {
    if (source.startsWith('..', i)) {
      i += 2;
      if (source[i] === '*') {
        i++;
        segments.push({ kind: 'descend', inner: { kind: 'any' } });
      } else if (source[i] === '[') {
        const inner = readBracket();
        if (inner.kind === 'index') fail('..[n] is not supported');
        segments.push({ kind: 'descend', inner: inner as { kind: 'key'; name: string } | { kind: 'any' } });
      } else {
        segments.push({ kind: 'descend', inner: { kind: 'key', name: readName() } });
      }
    } else if (source[i] === '.') {
      i++;
      if (source[i] === '*') {
        i++;
        segments.push({ kind: 'any' });
      } else {
        segments.push({ kind: 'key', name: readName() });
      }
    } else if (source[i] === '[') {
      segments.push(readBracket());
    } else {
      fail(`unexpected "${source[i]}"`);
    }
  }
  return segments;
}

/** `$.items[0]["odd key"]` */
export function formatPath(path: readonly PathSegment[]): string {
  let out = '$';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else if (IDENTIFIER.test(segment)) out += `.${segment}`;
    else out += `[${JSON.stringify(segment)}]`;
  }
  return out;
}

/**
 * The field a difference is counted under: array indices become `[*]`, so "the price of some
 * item" is one field however many items a response has.
 */
export function formatField(path: readonly PathSegment[]): string {
  let out = '$';
  for (const segment of path) {
    if (typeof segment === 'number') out += '[*]';
    else if (IDENTIFIER.test(segment)) out += `.${segment}`;
    else out += `[${JSON.stringify(segment)}]`;
  }
  return out;
}

/** A pattern list that answers "does any rule cover this path?" without allocating. */
export class PathPatternSet {
  private readonly patterns: readonly PathPattern[];

  constructor(sources: readonly string[]) {
    this.patterns = sources.map((source) => PathPattern.parse(source));
  }

  get empty(): boolean {
    return this.patterns.length === 0;
  }

  matches(path: readonly PathSegment[]): boolean {
    for (const pattern of this.patterns) if (pattern.matches(path)) return true;
    return false;
  }
}
