import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import ts from 'typescript';

/**
 * The repository's import graph, read with the TypeScript compiler's own pre-processor (no type
 * checking, so it takes a second). Relative specifiers and the `@switchyard/*` aliases of the root
 * tsconfig are followed; packages from node_modules are not part of the graph.
 * Type-only imports count: a cycle through types still makes two places impossible to change apart.
 */
export interface ImportGraph {
  root: string;
  /** File (relative to the root, `/`-separated) → the files it imports. */
  edges: Map<string, Set<string>>;
}

const SOURCE = /\.(ts|tsx|mts|cts)$/;
const SKIPPED_DIRS = new Set(['node_modules', 'dist', 'build', 'coverage', '.cache']);

function sourceFiles(dir: string, out: string[] = []): string[] {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.isDirectory()) {
      if (!SKIPPED_DIRS.has(entry.name) && !entry.name.startsWith('.')) sourceFiles(join(dir, entry.name), out);
    } else if (SOURCE.test(entry.name) && !entry.name.endsWith('.d.ts')) {
      out.push(join(dir, entry.name));
    }
  }
  return out;
}

function aliases(root: string): Array<{ pattern: RegExp; targets: string[] }> {
  const config = ts.readConfigFile(join(root, 'tsconfig.json'), ts.sys.readFile).config as { compilerOptions?: { paths?: Record<string, string[]> } };
  const paths = config.compilerOptions?.paths ?? {};
  return Object.entries(paths).map(([key, targets]) => ({
    pattern: new RegExp(`^${key.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace('*', '(.+)')}$`),
    targets,
  }));
}

function asFile(candidate: string): string | undefined {
  const tries = [
    candidate,
    ...['.ts', '.tsx', '.mts', '.cts'].map((ext) => candidate + ext),
    ...['index.ts', 'index.tsx'].map((name) => join(candidate, name)),
  ];
  // ESM-style `./x.js` specifiers name the `.ts` source.
  if (/\.(m|c)?js$/.test(candidate)) tries.push(candidate.replace(/\.(m|c)?js$/, '.ts'), candidate.replace(/\.(m|c)?js$/, '.tsx'));
  return tries.find((path) => SOURCE.test(path) && existsSync(path) && statSync(path).isFile());
}

export function readImportGraph(root: string, tops: readonly string[]): ImportGraph {
  const absoluteRoot = resolve(root);
  const mapped = aliases(absoluteRoot);
  const key = (file: string) => relative(absoluteRoot, file).split(sep).join('/');
  const edges = new Map<string, Set<string>>();
  const files = tops.flatMap((top) => (existsSync(join(absoluteRoot, top)) ? sourceFiles(join(absoluteRoot, top)) : []));
  for (const file of files) {
    const targets = new Set<string>();
    const info = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
    for (const { fileName: specifier } of info.importedFiles) {
      let target: string | undefined;
      if (specifier.startsWith('.')) target = asFile(resolve(dirname(file), specifier));
      else {
        const alias = mapped.find(({ pattern }) => pattern.test(specifier));
        if (alias) {
          const star = alias.pattern.exec(specifier)?.[1] ?? '';
          for (const pattern of alias.targets) {
            target = asFile(join(absoluteRoot, pattern.replace('*', star)));
            if (target) break;
          }
        }
      }
      if (target && target !== file) targets.add(key(target));
    }
    edges.set(key(file), targets);
  }
  return { root: absoluteRoot, edges };
}

/** Strongly connected components with more than one member (Tarjan's algorithm, iterative). */
export function cycles(edges: ReadonlyMap<string, ReadonlySet<string>>): string[][] {
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  for (const start of edges.keys()) {
    if (index.has(start)) continue;
    const work: Array<{ node: string; next: Iterator<string> }> = [];
    const enter = (node: string) => {
      index.set(node, counter);
      low.set(node, counter);
      counter += 1;
      stack.push(node);
      onStack.add(node);
      work.push({ node, next: (edges.get(node) ?? new Set<string>()).values() });
    };
    enter(start);
    while (work.length > 0) {
      const frame = work[work.length - 1];
      const step = frame.next.next();
      if (!step.done) {
        const target = step.value;
        if (!index.has(target)) enter(target);
        else if (onStack.has(target)) low.set(frame.node, Math.min(low.get(frame.node)!, index.get(target)!));
        continue;
      }
      work.pop();
      if (work.length > 0) {
        const parent = work[work.length - 1].node;
        low.set(parent, Math.min(low.get(parent)!, low.get(frame.node)!));
      }
      if (low.get(frame.node) === index.get(frame.node)) {
        const component: string[] = [];
        let member: string;
        do {
          member = stack.pop()!;
          onStack.delete(member);
          component.push(member);
        } while (member !== frame.node);
        if (component.length > 1) found.push(component.sort());
      }
    }
  }
  return found.sort((a, b) => a[0].localeCompare(b[0]));
}

/** `apps/server`, `libs/deploy`, `sdk/core`: the app, library or package a file belongs to. */
export function unitOf(file: string): string {
  return file.split('/').slice(0, 2).join('/');
}

/** Specs and tests use the code from outside; nothing imports them, so they take no part in its structure. */
export const isTest = (file: string): boolean => /\.(spec|test)\.tsx?$/.test(file);

/**
 * The folder graph inside each app, library or package: folder = the directory directly containing
 * the file. Specs are left out (see isTest).
 */
export function folderEdges(graph: ImportGraph): Map<string, Set<string>> {
  const folders = new Map<string, Set<string>>();
  for (const [file, targets] of graph.edges) {
    if (isTest(file)) continue;
    const from = dirname(file);
    const out = folders.get(from) ?? new Set<string>();
    folders.set(from, out);
    for (const target of targets) {
      const to = dirname(target);
      if (to !== from && unitOf(target) === unitOf(file)) out.add(to);
    }
  }
  return folders;
}

/** One import edge of a folder cycle per pair, so a failure names the files to change. */
export function witnesses(graph: ImportGraph, folders: readonly string[]): string[] {
  const members = new Set(folders);
  const lines: string[] = [];
  for (const [file, targets] of graph.edges) {
    if (isTest(file) || !members.has(dirname(file))) continue;
    for (const target of targets) if (members.has(dirname(target)) && dirname(target) !== dirname(file)) lines.push(`${file} → ${target}`);
  }
  return lines.sort();
}
