import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node, type YAMLError } from 'yaml';
import { checkPipelineSchema, pathOf, type SchemaViolation } from './pipeline-schema';
import { PipelineFileError, type PipelineProblem, type PipelineSpec } from './pipeline-spec';

export const PIPELINE_FILE_NAME = 'switchyard.yml';

/** A validated pipeline file and where it lives: build contexts and results paths are relative to `dir`. */
export interface PipelineFile {
  path: string;
  dir: string;
  spec: PipelineSpec;
}

/**
 * Reads and validates `<dir>/switchyard.yml` (or the file given), including the checks only the
 * workspace can answer (the build context and Containerfile exist). Throws PipelineFileError
 * with every problem, each located by line.
 */
export function loadPipelineFile(dirOrFile: string): PipelineFile {
  const target = resolve(dirOrFile);
  const path = existsSync(target) && statSync(target).isDirectory() ? join(target, PIPELINE_FILE_NAME) : target;
  const display = basename(path);
  if (!existsSync(path)) throw new PipelineFileError(display, [{ path: '', problem: `no pipeline file at ${path}` }]);
  const text = readFileSync(path, 'utf8');
  const { spec, locate } = parsePipelineText(text, display);
  const dir = resolve(path, '..');
  const problems = workspaceProblems(spec, dir).map((p) => ({ ...p, line: locate(p.segments, 'value') }));
  if (problems.length)
    throw new PipelineFileError(
      display,
      problems.map(({ line, segments, problem }) => ({ line, path: pathOf(segments), problem })),
    );
  return { path, dir, spec };
}

/** Parses and schema-checks pipeline YAML text; `fileName` only labels the messages. */
export function parsePipelineText(text: string, fileName = PIPELINE_FILE_NAME): { spec: PipelineSpec; locate: Locator } {
  const lineCounter = new LineCounter();
  const document = parseDocument(text, { lineCounter, prettyErrors: true, uniqueKeys: true });
  const lineOf = (offset: number | undefined) => (offset === undefined ? undefined : lineCounter.linePos(offset).line);
  if (document.errors.length) {
    // One YAML mistake often trips several errors on the same line; the first says it best.
    const problems = document.errors.map((error) => yamlProblem(error, text, lineOf));
    throw new PipelineFileError(
      fileName,
      problems.filter((p, i) => problems.findIndex((q) => q.line === p.line) === i),
    );
  }
  const locate = locator(document, lineOf);
  if (document.contents === null || (isScalar(document.contents) && document.contents.value === null)) {
    throw new PipelineFileError(fileName, [{ line: 1, path: '', problem: 'the file is empty; expected a mapping with service, build, test and publish' }]);
  }
  if (!isMap(document.contents)) {
    throw new PipelineFileError(fileName, [
      { line: lineOf(document.contents.range?.[0]) ?? 1, path: '', problem: 'must be a mapping with service, build, test and publish' },
    ]);
  }
  let data: unknown;
  try {
    data = document.toJS({ maxAliasCount: 100 });
  } catch (error) {
    throw new PipelineFileError(fileName, [{ line: 1, path: '', problem: error instanceof Error ? error.message : String(error) }]);
  }
  const { spec, violations } = checkPipelineSchema(data);
  if (!spec) throw new PipelineFileError(fileName, sortProblems(violations.map((v) => toProblem(v, locate))));
  return { spec, locate };
}

export type Locator = (segments: string[], at: SchemaViolation['at']) => number | undefined;

function toProblem(violation: SchemaViolation, locate: Locator): PipelineProblem {
  return { line: locate(violation.segments, violation.at), path: pathOf(violation.segments), problem: violation.problem };
}

function sortProblems(problems: PipelineProblem[]): PipelineProblem[] {
  return [...problems].sort((a, b) => (a.line ?? 0) - (b.line ?? 0) || a.path.localeCompare(b.path));
}

/** Finds the line of a value, of its key, or (for a missing field) of the key that holds its parent. */
function locator(document: Document, lineOf: (offset: number | undefined) => number | undefined): Locator {
  return (segments, at) => {
    const chain: Array<{ key?: Node; value?: Node }> = [{ value: document.contents ?? undefined }];
    let current: unknown = document.contents;
    for (const segment of segments) {
      if (isSeq(current) && /^\d+$/.test(segment)) {
        // A list element has no key; the element itself is where its line is.
        const item = current.items[Number(segment)] as Node | undefined;
        if (!item) break;
        chain.push({ key: item, value: item });
        current = item;
        continue;
      }
      if (!isMap(current)) break;
      const pair = current.items.find((item) => isPair(item) && isScalar(item.key) && String(item.key.value) === segment);
      if (!pair) break;
      chain.push({ key: pair.key as Node, value: (pair.value as Node | null) ?? undefined });
      current = pair.value;
    }
    const found = chain.length === segments.length + 1;
    const last = chain[chain.length - 1];
    const lineOfNode = (node: Node | undefined) => lineOf(node?.range?.[0]);
    if (at === 'parent' || !found) {
      // The field is missing: point at the key that owns the mapping it belongs in.
      const owner = found ? chain[chain.length - 2] : last;
      return lineOfNode(owner?.key) ?? lineOfNode(owner?.value) ?? 1;
    }
    if (at === 'key') return lineOfNode(last.key) ?? lineOfNode(last.value);
    // `results:` with nothing after it has a null value without a range; the key's line is the right one.
    return (last.value?.range && !(isScalar(last.value) && last.value.value === null) ? lineOfNode(last.value) : undefined) ?? lineOfNode(last.key);
  };
}

function yamlProblem(error: YAMLError, text: string, lineOf: (offset: number | undefined) => number | undefined): PipelineProblem {
  const line = error.linePos?.[0].line;
  const firstLine = error.message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '');
  const quote = /Missing closing (["'])quote/.exec(error.message)?.[1];
  if (quote) {
    // YAML notices at the end of the file; the mistake is where the string was opened.
    const opened = openingQuote(text, error.pos[0], quote);
    return {
      line: opened === undefined ? line : lineOf(opened),
      path: '',
      problem: `invalid YAML: a ${quote === '"' ? 'double' : 'single'}-quoted string starting on this line is never closed`,
    };
  }
  switch (error.code) {
    case 'DUPLICATE_KEY':
      return { line, path: '', problem: 'duplicate key: each field may appear once per mapping' };
    case 'TAB_AS_INDENT':
      return { line, path: '', problem: 'tabs are not allowed for indentation; use spaces' };
    default:
      return { line, path: '', problem: `invalid YAML: ${firstLine}` };
  }
}

function openingQuote(text: string, before: number, quote: string): number | undefined {
  for (let i = Math.min(before, text.length) - 1; i >= 0; i--) {
    if (text[i] === quote && !(quote === '"' && text[i - 1] === '\\')) return i;
  }
  return undefined;
}

/** Checks that need the files next to switchyard.yml. */
function workspaceProblems(spec: PipelineSpec, dir: string): Array<{ segments: string[]; problem: string }> {
  const problems: Array<{ segments: string[]; problem: string }> = [];
  const context = resolve(dir, spec.build.context);
  if (!existsSync(context) || !statSync(context).isDirectory()) {
    problems.push({ segments: ['build', 'context'], problem: `directory ${spec.build.context} does not exist next to ${PIPELINE_FILE_NAME}` });
  } else if (!existsSync(resolve(context, spec.build.containerfile))) {
    problems.push({
      segments: ['build', 'containerfile'],
      problem: `file ${spec.build.containerfile} does not exist in the build context ${spec.build.context}`,
    });
  }
  return problems;
}
