import { realpath } from 'node:fs/promises';
import { isAbsolute, join, relative, sep } from 'node:path';

/** `staging/quotes-2026-12`: path segments of letters, digits, `.`, `_` and `-`, never `.` or `..`. */
const SEGMENT = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/;
const MAX_LENGTH = 512;

/**
 * Why `location` cannot name a capture under the server's capture root, or undefined when it can.
 * A pipeline is written by whoever pushes to the repository, so it only chooses among captures
 * an operator put under CAPTURE_ROOT: relative, no `..`, no absolute path, nothing but plain names.
 */
export function captureLocationProblem(location: string): string | undefined {
  if (location.length === 0) return 'must not be empty';
  if (location.length > MAX_LENGTH) return `must be at most ${MAX_LENGTH} characters`;
  if (location.startsWith('/') || location.startsWith('\\') || /^[A-Za-z]:/.test(location)) {
    return 'must be a path relative to the server’s CAPTURE_ROOT, not an absolute path';
  }
  const segments = location.replace(/\/+$/, '').split('/');
  if (segments.some((segment) => segment === '..' || segment === '.')) return 'must stay inside the server’s CAPTURE_ROOT: no "." or ".." segments';
  if (!segments.every((segment) => SEGMENT.test(segment))) {
    return 'must be a relative path of names made of letters, digits, ".", "_" and "-" (such as staging/quotes)';
  }
  return undefined;
}

export class CaptureLocationError extends Error {
  constructor(
    readonly kind: 'refused' | 'missing' | 'outside',
    message: string,
  ) {
    super(message);
  }
}

/**
 * The real directory `location` names under `root`. Symbolic links are followed and the result
 * must still be inside the root, so a link placed in the root cannot lead a pipeline elsewhere.
 */
export async function resolveCaptureLocation(root: string, location: string): Promise<string> {
  const problem = captureLocationProblem(location);
  if (problem) throw new CaptureLocationError('refused', `capture ${JSON.stringify(location)} ${problem}`);
  let realRoot: string;
  try {
    realRoot = await realpath(root);
  } catch (error) {
    throw new CaptureLocationError('missing', `the capture root ${root} cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  let real: string;
  try {
    real = await realpath(join(realRoot, location));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'error';
    throw new CaptureLocationError(
      'missing',
      code === 'ENOENT' ? `capture ${location} does not exist under CAPTURE_ROOT` : `capture ${location} cannot be read (${code})`,
    );
  }
  const inside = relative(realRoot, real);
  if (inside === '' || inside.startsWith(`..${sep}`) || inside === '..' || isAbsolute(inside)) {
    throw new CaptureLocationError('outside', `capture ${location} leads outside CAPTURE_ROOT`);
  }
  return real;
}
