import { spawnSync } from 'node:child_process';
import { copyFileSync, cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { runCli } from '../../../apps/cli/src/switchyard-cli';

export const REPO_ROOT = resolve(__dirname, '../../..');
export const EXAMPLE_DIR = join(REPO_ROOT, 'deploy/examples/market-data');

const CI_VARIABLES = new Set([
  'SWITCHYARD_URL',
  'SWITCHYARD_TOKEN',
  'REGISTRY_USERNAME',
  'REGISTRY_PASSWORD',
  'GIT_COMMIT',
  'GITHUB_SHA',
  'CI_COMMIT_SHA',
  'BRANCH_NAME',
  'GIT_BRANCH',
  'GITHUB_HEAD_REF',
  'GITHUB_REF_NAME',
  'CI_COMMIT_REF_NAME',
  'BUILD_NUMBER',
  'GITHUB_RUN_NUMBER',
  'CI_PIPELINE_IID',
]);

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the CLI in-process as CI would (CI=true: plain output), capturing what it prints. */
export async function switchyard(args: string[], env: Record<string, string | undefined> = {}, cwd = REPO_ROOT): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  // Nothing from the machine's own CI may leak into the release (tags, credentials, server).
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([name]) => !CI_VARIABLES.has(name)));
  const code = await runCli(args, {
    env: { ...inherited, CI: 'true', ...env },
    cwd,
    stdout: { write: (text: string) => (stdout += text), isTTY: false },
    stderr: { write: (text: string) => (stderr += text) },
  });
  return { code, stdout, stderr };
}

/** Private buildah storage for one suite, so parallel suites never share (or lock) an image store. */
export function buildahStorage(): { args: string[]; dispose(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-buildah-'));
  return {
    args: ['--storage-driver', 'vfs', '--isolation', 'chroot', '--root', join(dir, 'root'), '--runroot', join(dir, 'run')],
    dispose: () => rmSync(dir, { recursive: true, force: true }),
  };
}

export type TestBehaviour = { kind: 'pass' } | { kind: 'fail' } | { kind: 'wait-for'; file: string } | { kind: 'slow'; ms: number };

/**
 * A minimal service workspace: a FROM scratch image with one static file (nothing to pull, no
 * network) and a test command that writes JUnit XML, passing, failing, or waiting on the test.
 */
export function scratchWorkspace(options: { service: string; repository: string; test: TestBehaviour }): { dir: string; dispose(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-ws-'));
  writeFileSync(join(dir, 'hello.txt'), `${options.service}\n`);
  writeFileSync(join(dir, 'Containerfile'), 'FROM scratch\nARG RELEASE_NOTE=none\nCOPY hello.txt /hello.txt\nLABEL org.example.note=$RELEASE_NOTE\n');
  writeFileSync(join(dir, 'run-tests.js'), RUN_TESTS);
  const args = (() => {
    switch (options.test.kind) {
      case 'pass':
      case 'fail':
        return options.test.kind;
      case 'wait-for':
        return `wait-for ${JSON.stringify(options.test.file)}`;
      case 'slow':
        return `slow ${options.test.ms}`;
    }
  })();
  writeFileSync(
    join(dir, 'switchyard.yml'),
    `service: ${options.service}
build: { context: ., containerfile: Containerfile, args: { RELEASE_NOTE: e2e } }
test: { command: '${process.execPath} run-tests.js ${args}', results: reports/junit.xml }
publish: { repository: ${options.repository} }
`,
  );
  return { dir, dispose: () => rmSync(dir, { recursive: true, force: true }) };
}

/**
 * A FROM scratch image that can still run a test command: the host's /bin/sh and the libraries
 * it links (from ldd) are copied into the context, and the test runs in the image's WORKDIR.
 */
export function shellImageWorkspace(options: { service: string; repository: string; command: string; results: string }): { dir: string; dispose(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-shell-'));
  const context = join(dir, 'rootfs');
  const libraries = spawnSync('ldd', ['/bin/sh'], { encoding: 'utf8' }).stdout.match(/\/\S+/g) ?? [];
  for (const file of ['/bin/sh', ...libraries]) {
    mkdirSync(join(context, dirname(file)), { recursive: true });
    copyFileSync(file, join(context, file));
  }
  writeFileSync(join(dir, 'Containerfile'), 'FROM scratch\nCOPY rootfs/ /\nWORKDIR /work\n');
  writeFileSync(
    join(dir, 'switchyard.yml'),
    `service: ${options.service}\nbuild: {}\ntest: { command: ${JSON.stringify(options.command)}, results: ${options.results}, inImage: true }\npublish: { repository: ${options.repository} }\n`,
  );
  return { dir, dispose: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A copy of the market-data example, compiled (the Containerfile packages dist/), pointing at `repository`. */
export function exampleWorkspace(repository: string): { dir: string; dispose(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-example-'));
  cpSync(EXAMPLE_DIR, dir, { recursive: true, filter: (source) => !/[\\/](node_modules|dist|reports)$/.test(source) });
  // The example's devDependencies (typescript, @types/node) are the repository's own.
  symlinkSync(join(REPO_ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir');
  const file = join(dir, 'switchyard.yml');
  writeFileSync(file, readFileSync(file, 'utf8').replace('127.0.0.1:5000/team/market-data', repository));
  const build = spawnSync('npm', ['run', 'build'], { cwd: dir, encoding: 'utf8', timeout: 60_000 });
  if (build.status !== 0) throw new Error(`building the example failed:\n${build.stdout}\n${build.stderr}`);
  return { dir, dispose: () => rmSync(dir, { recursive: true, force: true }) };
}

const RUN_TESTS = `// Writes a JUnit report as a real test runner would; argv[2] picks the outcome.
const fs = require('node:fs');
const [mode, arg] = process.argv.slice(2);

async function ready() {
  if (mode === 'wait-for') {
    const deadline = Date.now() + 30000;
    while (!fs.existsSync(arg)) {
      if (Date.now() > deadline) process.exit(3);
      await new Promise((r) => setTimeout(r, 20));
    }
  }
  if (mode === 'slow') await new Promise((r) => setTimeout(r, Number(arg)));
}

ready().then(() => {
  const failing = mode === 'fail';
  const cases = [
    ['quotes', 'returns a quote', null],
    ['quotes', 'rejects lower case', failing ? 'expected 400, got 200' : null],
    ['ping', 'answers pong', null],
  ];
  const body = cases
    .map(([suite, name, failure]) =>
      '    <testcase classname="' + suite + '" name="' + name + '" time="0.01">' +
      (failure ? '<failure message="' + failure + '" type="AssertionError">at quotes.test.js:12</failure>' : '') +
      '</testcase>')
    .join('\\n');
  fs.mkdirSync('reports', { recursive: true });
  fs.writeFileSync('reports/junit.xml',
    '<?xml version="1.0" encoding="UTF-8"?>\\n<testsuites tests="3" failures="' + (failing ? 1 : 0) + '">\\n  <testsuite name="fixture">\\n' + body + '\\n  </testsuite>\\n</testsuites>\\n');
  for (const [suite, name, failure] of cases) console.log((failure ? 'FAIL ' : 'ok   ') + suite + ' ' + name);
  process.exit(failing ? 1 : 0);
});
`;
