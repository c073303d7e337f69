// SemVer 2.0.0 parsing and precedence (https://semver.org/#spec-item-11).
//
// Numeric parts are kept as digit strings and compared by length first, because versions such
// as 1.0.99999999999999999999 are valid SemVer but lose precision as JS numbers.

export interface ParsedSemver {
  readonly major: string;
  readonly minor: string;
  readonly patch: string;
  /** Pre-release identifiers; empty for a release version. */
  readonly prerelease: readonly string[];
}

// The pattern recommended by semver.org, plus an optional leading 'v' (as in git tags).
const SEMVER =
  /^[vV]?(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?(?:\+[0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*)?$/;

const NUMERIC = /^\d+$/;

export function parseSemver(version: string): ParsedSemver | undefined {
  if (typeof version !== 'string' || version.length > 256) return undefined;
  const m = SEMVER.exec(version);
  if (m === null) return undefined;
  return {
    major: m[1],
    minor: m[2],
    patch: m[3],
    prerelease: m[4] === undefined ? [] : m[4].split('.'),
  };
}

function compareDigits(a: string, b: string): number {
  if (a.length !== b.length) return a.length < b.length ? -1 : 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

function compareIdentifiers(a: string, b: string): number {
  const an = NUMERIC.test(a);
  const bn = NUMERIC.test(b);
  if (an && bn) return compareDigits(a, b);
  // Numeric identifiers always have lower precedence than alphanumeric ones.
  if (an) return -1;
  if (bn) return 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Precedence of two parsed versions: -1, 0 or 1. Build metadata never matters. */
export function compareParsedSemver(a: ParsedSemver, b: ParsedSemver): number {
  const core = compareDigits(a.major, b.major) || compareDigits(a.minor, b.minor) || compareDigits(a.patch, b.patch);
  if (core !== 0) return core;
  const ap = a.prerelease;
  const bp = b.prerelease;
  // A pre-release sorts before the release it precedes: 1.0.0-rc.1 < 1.0.0.
  if (ap.length === 0 || bp.length === 0) {
    return ap.length === bp.length ? 0 : ap.length === 0 ? 1 : -1;
  }
  const shared = Math.min(ap.length, bp.length);
  for (let i = 0; i < shared; i++) {
    const c = compareIdentifiers(ap[i], bp[i]);
    if (c !== 0) return c;
  }
  return ap.length === bp.length ? 0 : ap.length < bp.length ? -1 : 1;
}

/**
 * SemVer 2.0 precedence of `a` and `b`: -1, 0 or 1, or `undefined` when either is not a valid
 * version. A leading 'v' is accepted; build metadata (`+...`) is ignored as the spec requires.
 */
export function compareSemver(a: string, b: string): number | undefined {
  const pa = parseSemver(a);
  if (pa === undefined) return undefined;
  const pb = parseSemver(b);
  if (pb === undefined) return undefined;
  return compareParsedSemver(pa, pb);
}
