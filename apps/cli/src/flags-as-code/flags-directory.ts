import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node } from 'yaml';
import type { z } from 'zod';
import { formatPath, problemOf } from '@switchyard/errors';
import { createEnvironmentSchema, createFlagSchema, createSegmentSchema } from '@switchyard/flags';
import { isObject, type FlagsDocuments, type JsonObject } from './flag-documents';

/** One problem in one file, located by line: printed as `flags/checkout.yaml:7: environments.production.enabled: must be true or false`. */
export interface FileProblem {
  file: string;
  line?: number;
  path: string;
  problem: string;
}

/** The directory is invalid: every problem found, nothing sent to the server. */
export class FlagsDirectoryError extends Error {
  constructor(readonly problems: FileProblem[]) {
    super(problems.map(formatFileProblem).join('\n'));
    this.name = 'FlagsDirectoryError';
  }
}

export function formatFileProblem(p: FileProblem): string {
  const where = p.line === undefined ? p.file : `${p.file}:${p.line}`;
  return p.path ? `${where}: ${p.path}: ${p.problem}` : `${where}: ${p.problem}`;
}

/** What a directory declares; `environments` is undefined when it has no environments.yaml (environments then stay as they are). */
export interface DesiredState extends Omit<FlagsDocuments, 'environments'> {
  environments: JsonObject[] | undefined;
}

type Locate = (segments: ReadonlyArray<PropertyKey>, at?: 'key' | 'value') => number | undefined;

interface ParsedFile {
  file: string;
  data: unknown;
  locate: Locate;
}

const YAML_FILE = /\.ya?ml$/;

/**
 * Reads `environments.yaml`, `segments/*.yaml` and `flags/*.yaml` and checks them with the admin
 * API's own request schemas (so a field the API accepts is accepted here without a CLI change).
 * Throws FlagsDirectoryError listing every problem with its file and line.
 */
export function readFlagsDirectory(dir: string): DesiredState {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new FlagsDirectoryError([{ file: dir, path: '', problem: 'is not a directory' }]);
  const problems: FileProblem[] = [];
  const state: DesiredState = { environments: undefined, segments: [], flags: [] };

  const environmentsFile = ['environments.yaml', 'environments.yml'].find((name) => existsSync(join(dir, name)));
  if (environmentsFile) {
    const parsed = parseFile(dir, environmentsFile, problems);
    if (parsed) state.environments = checkEnvironments(parsed, problems);
  }
  const environmentKeys = state.environments ? new Set(state.environments.map((env) => String(env.key))) : undefined;

  const segmentFiles = yamlFiles(dir, 'segments');
  const seenSegments = new Map<string, string>();
  for (const name of segmentFiles) {
    const parsed = parseFile(dir, `segments/${name}`, problems);
    if (!parsed) continue;
    const segment = checkObject(parsed, createSegmentSchema, problems);
    if (segment && keyMatchesFile(parsed, segment, name, seenSegments, problems)) state.segments.push(segment);
  }

  const seenFlags = new Map<string, string>();
  for (const name of yamlFiles(dir, 'flags')) {
    const parsed = parseFile(dir, `flags/${name}`, problems);
    if (!parsed) continue;
    const flag = checkObject(parsed, createFlagSchema, problems);
    if (!flag || !keyMatchesFile(parsed, flag, name, seenFlags, problems)) continue;
    if (environmentKeys && isObject(flag.environments)) {
      for (const env of Object.keys(flag.environments)) {
        if (!environmentKeys.has(env))
          problems.push({
            file: parsed.file,
            line: parsed.locate(['environments', env], 'key'),
            path: `environments.${env}`,
            problem: 'is not in environments.yaml',
          });
      }
    }
    state.flags.push(flag);
  }
  if (problems.length) throw new FlagsDirectoryError(problems);
  const byKey = (a: JsonObject, b: JsonObject) => String(a.key).localeCompare(String(b.key));
  state.segments.sort(byKey);
  state.flags.sort(byKey);
  return state;
}

function yamlFiles(dir: string, sub: string): string[] {
  const path = join(dir, sub);
  if (!existsSync(path) || !statSync(path).isDirectory()) return [];
  return readdirSync(path)
    .filter((name) => YAML_FILE.test(name))
    .sort();
}

/** YAML parsed with duplicate keys refused (the yaml package's `uniqueKeys`), and a locator from paths to lines. */
function parseFile(dir: string, file: string, problems: FileProblem[]): ParsedFile | undefined {
  const text = readFileSync(join(dir, file), 'utf8');
  const lineCounter = new LineCounter();
  const document = parseDocument(text, { lineCounter, prettyErrors: true, uniqueKeys: true });
  const lineOf = (offset: number | undefined) => (offset === undefined ? undefined : lineCounter.linePos(offset).line);
  if (document.errors.length) {
    const seen = new Set<number | undefined>();
    for (const error of document.errors) {
      const line = error.linePos?.[0].line;
      // One YAML mistake often trips several errors on the same line; the first says it best.
      if (seen.has(line)) continue;
      seen.add(line);
      const problem =
        error.code === 'DUPLICATE_KEY'
          ? 'duplicate key: each field may appear once per mapping'
          : `invalid YAML: ${error.message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '')}`;
      problems.push({ file, line, path: '', problem });
    }
    return undefined;
  }
  let data: unknown;
  try {
    data = document.toJS({ maxAliasCount: 100 });
  } catch (error) {
    problems.push({ file, line: 1, path: '', problem: error instanceof Error ? error.message : String(error) });
    return undefined;
  }
  return { file, data, locate: locator(document, lineOf) };
}

/** The line of a value (or of its key), or of the nearest enclosing field that exists. */
function locator(document: Document, lineOf: (offset: number | undefined) => number | undefined): Locate {
  return (segments, at = 'value') => {
    let current: unknown = document.contents;
    let line = lineOf((document.contents as Node | null)?.range?.[0]) ?? 1;
    for (const segment of segments) {
      if (isSeq(current) && typeof segment === 'number') {
        const item = current.items[segment] as Node | undefined;
        if (!item) return line;
        line = lineOf(item.range?.[0]) ?? line;
        current = item;
        continue;
      }
      if (!isMap(current)) return line;
      const pair = current.items.find((item) => isPair(item) && isScalar(item.key) && String(item.key.value) === String(segment));
      if (!pair) return line;
      const keyLine = lineOf((pair.key as Node | null)?.range?.[0]);
      const value = pair.value as Node | null;
      const valueLine = value?.range && !(isScalar(value) && value.value === null) ? lineOf(value.range[0]) : undefined;
      line = (at === 'key' && segment === segments[segments.length - 1] ? keyLine : (valueLine ?? keyLine)) ?? line;
      current = value;
    }
    return line;
  };
}

function checkObject(parsed: ParsedFile, schema: z.ZodType, problems: FileProblem[]): JsonObject | undefined {
  if (!isObject(parsed.data)) {
    problems.push({ file: parsed.file, line: 1, path: '', problem: 'must be a mapping of fields (key, name, …)' });
    return undefined;
  }
  const result = schema.safeParse(parsed.data);
  if (result.success) return parsed.data;
  problems.push(...issueProblems(parsed, result.error.issues, []));
  return undefined;
}

function issueProblems(parsed: ParsedFile, issues: readonly z.core.$ZodIssue[], prefix: PropertyKey[]): FileProblem[] {
  const out: FileProblem[] = [];
  for (const issue of issues) {
    const path = [...prefix, ...issue.path];
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys)
        out.push({ file: parsed.file, line: parsed.locate([...path, key], 'key'), path: formatPath([...path, key]), problem: 'is not a known field' });
    } else {
      out.push({ file: parsed.file, line: parsed.locate(path), path: formatPath(path), problem: problemOf(issue) });
    }
  }
  return out.sort((a, b) => (a.line ?? 0) - (b.line ?? 0));
}

/** `flags/checkout.yaml` holds the flag `checkout`, and each key is declared once. */
function keyMatchesFile(parsed: ParsedFile, value: JsonObject, name: string, seen: Map<string, string>, problems: FileProblem[]): boolean {
  const key = String(value.key);
  const expected = name.replace(YAML_FILE, '');
  if (key !== expected) {
    problems.push({
      file: parsed.file,
      line: parsed.locate(['key']),
      path: 'key',
      problem: `is "${key}" but the file is named ${name}: name the file ${key}.yaml`,
    });
    return false;
  }
  const earlier = seen.get(key);
  if (earlier) {
    problems.push({ file: parsed.file, line: parsed.locate(['key']), path: 'key', problem: `"${key}" is also declared in ${earlier}` });
    return false;
  }
  seen.set(key, parsed.file);
  return true;
}

function checkEnvironments(parsed: ParsedFile, problems: FileProblem[]): JsonObject[] | undefined {
  if (!Array.isArray(parsed.data)) {
    problems.push({ file: parsed.file, line: 1, path: '', problem: 'must be a list of environments (- key: production …)' });
    return undefined;
  }
  const out: JsonObject[] = [];
  const seen = new Set<string>();
  parsed.data.forEach((item: unknown, index) => {
    if (!isObject(item)) {
      problems.push({ file: parsed.file, line: parsed.locate([index]), path: `[${index}]`, problem: 'must be a mapping with key and name' });
      return;
    }
    const result = createEnvironmentSchema.safeParse(item);
    if (!result.success) {
      problems.push(...issueProblems(parsed, result.error.issues, [index]));
      return;
    }
    const key = String(item.key);
    if (seen.has(key)) {
      problems.push({ file: parsed.file, line: parsed.locate([index, 'key']), path: `[${index}].key`, problem: `duplicate environment "${key}"` });
      return;
    }
    seen.add(key);
    out.push(item);
  });
  return out;
}
