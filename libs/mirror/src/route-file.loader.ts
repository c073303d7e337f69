import { readFile } from 'node:fs/promises';
import { isMap, isScalar, LineCounter, parseDocument, type Document } from 'yaml';
import { formatProblemPath, validateRoutes, type MirrorRoute } from './mirror-route.schema';

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

export async function loadRouteFile(path: string): Promise<MirrorRoute[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new RouteFileError([{ file: path, line: 0, column: 0, field: '(file)', problem: `cannot read: ${(error as Error).message}` }]);
  }
  return parseRouteFile(text, path);
}

/** Parses and validates a YAML route file; throws {@link RouteFileError} naming file, line and field. */
export function parseRouteFile(text: string, file: string): MirrorRoute[] {
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
  const { routes, problems } = validateRoutes(doc.toJS({ maxAliasCount: 100 }));
  if (problems.length === 0) return routes;
  const located = problems.map(({ path, problem }) => {
    const at = locate(doc, lineCounter, path);
    return { file, line: at.line, column: at.col, field: formatProblemPath(path), problem };
  });
  throw new RouteFileError(located.sort((a, b) => a.line - b.line || a.column - b.column));
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
