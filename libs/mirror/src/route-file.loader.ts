import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { isMap, isScalar, LineCounter, parseDocument, type Document } from 'yaml';
import { formatProblemPath, validateRoutes, type MirrorRoute, type RouteProblem } from './mirror-route.schema';

/** One problem in a route file, pointing at the line and field at fault. */
export interface RouteFileProblem {
  file: string;
  line: number;
  column: number;
  field: string;
  problem: string;
}

/** A route file that cannot be used; the message has one `file:line:column: field: problem` per line. */
export class RouteFileError extends Error {
  constructor(readonly problems: RouteFileProblem[]) {
    super(problems.map((p) => `${p.file}:${p.line}:${p.column}: ${p.field}: ${p.problem}`).join('\n'));
    this.name = 'RouteFileError';
  }
}

/** What a route file sets besides its routes (only in the map form: `routes:` and `tls:`). */
export interface RouteFileSettings {
  routes: MirrorRoute[];
  /**
   * The proxy's live-port certificate and key (PEM), resolved against the route file's directory,
   * as written (`cert`, `key`) and resolved (`certFile`, `keyFile`).
   */
  tls?: { cert: string; key: string; certFile: string; keyFile: string };
}

export async function loadRouteFile(path: string): Promise<MirrorRoute[]> {
  return (await loadRouteFileSettings(path)).routes;
}

export async function loadRouteFileSettings(path: string): Promise<RouteFileSettings> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new RouteFileError([{ file: path, line: 0, column: 0, field: '(file)', problem: `cannot read: ${(error as Error).message}` }]);
  }
  return parseRouteFileSettings(text, path);
}

/** Parses and validates a YAML route file; throws {@link RouteFileError} naming file, line and field. */
export function parseRouteFile(text: string, file: string): MirrorRoute[] {
  return parseRouteFileSettings(text, file).routes;
}

/** {@link parseRouteFile}, with the file's `tls:` too. */
export function parseRouteFileSettings(text: string, file: string): RouteFileSettings {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new RouteFileError(
      doc.errors.map((error) => {
        const at = error.linePos?.[0] ?? { line: 0, col: 0 };
        return { file, line: at.line, column: at.col, field: '(syntax)', problem: error.message.split('\n')[0] };
      }),
    );
  }
  const input: unknown = doc.toJS({ maxAliasCount: 100 });
  // `tls:` is the proxy's, not a route's: taken out here so the route set is validated as before.
  let rest = input;
  let tls: { value: RouteFileSettings['tls']; problems: RouteProblem[] } = { value: undefined, problems: [] };
  if (input && typeof input === 'object' && !Array.isArray(input) && 'tls' in input) {
    const { tls: raw, ...others } = input as Record<string, unknown>;
    rest = others;
    tls = validateTls(raw, file);
  }
  const validated = validateRoutes(rest);
  const problems = [...tls.problems, ...validated.problems];
  if (problems.length === 0) return { routes: validated.routes, ...(tls.value ? { tls: tls.value } : {}) };
  const located = problems.map(({ path, problem }) => {
    const at = locate(doc, lineCounter, path);
    return { file, line: at.line, column: at.col, field: formatProblemPath(path), problem };
  });
  throw new RouteFileError(located.sort((a, b) => a.line - b.line || a.column - b.column));
}

/** `tls: { cert, key }`: two non-empty paths, relative ones taken from the route file's directory. */
function validateTls(raw: unknown, file: string): { value: RouteFileSettings['tls']; problems: RouteProblem[] } {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    return { value: undefined, problems: [{ path: ['tls'], problem: 'expected a map with cert and key (PEM file paths)' }] };
  }
  const problems: RouteProblem[] = [];
  const map = raw as Record<string, unknown>;
  for (const key of Object.keys(map)) if (key !== 'cert' && key !== 'key') problems.push({ path: ['tls', key], problem: 'unknown field' });
  for (const key of ['cert', 'key'] as const) {
    const value = map[key];
    if (value === undefined || value === null) problems.push({ path: ['tls', key], problem: 'is required (a PEM file path)' });
    else if (typeof value !== 'string' || value.trim() === '') problems.push({ path: ['tls', key], problem: 'must be a file path' });
  }
  if (problems.length > 0) return { value: undefined, problems };
  const [cert, key] = [map.cert as string, map.key as string];
  const base = dirname(resolve(file));
  return { value: { cert, key, certFile: resolve(base, cert), keyFile: resolve(base, key) }, problems };
}

/** Position of the deepest node on `path` that exists; a key's own position when the path ends in a key. */
function locate(doc: Document, lineCounter: LineCounter, path: readonly (string | number)[]): { line: number; col: number } {
  for (let depth = path.length; depth >= 0; depth--) {
    const offset = offsetOf(doc, path.slice(0, depth));
    if (offset !== undefined) return lineCounter.linePos(offset);
  }
  return { line: 1, col: 1 };
}

function offsetOf(doc: Document, path: readonly (string | number)[]): number | undefined {
  if (path.length === 0) return doc.contents?.range?.[0];
  const last = path[path.length - 1];
  const parent = path.length === 1 ? doc.contents : doc.getIn(path.slice(0, -1), true);
  if (typeof last === 'string' && isMap(parent)) {
    const pair = parent.items.find((item) => isScalar(item.key) && item.key.value === last);
    return pair && isScalar(pair.key) ? pair.key.range?.[0] : undefined;
  }
  const node: unknown = doc.getIn(path, true);
  return node && typeof node === 'object' && 'range' in node ? (node as { range?: [number, number, number] | null }).range?.[0] : undefined;
}
