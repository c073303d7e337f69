#!/usr/bin/env node
// Builds the publishable @switchyard/node-sdk package:
//
//   node sdk/node/scripts/build.mjs [--out <dir>]      (default: dist/packages/node-sdk)
//
// 1. tsc compiles sdk/node/src (and the sdk/core sources it imports) to CommonJS with .d.ts
//    files under <out>/lib; the evaluation engine is vendored this way, so the package's only
//    runtime dependency is the engine's own: re2js (linear-time regexes), a bare import.
// 2. The `@switchyard/core` imports in the output (JS and .d.ts) are rewritten to the relative
//    path of the vendored copy.
// 3. package.json, README.md and the ESM entry (index.mjs, a thin wrapper that re-exports the
//    CommonJS build, with index.d.mts for its types) are copied next to lib/.
//
// Then `npm pack <out>` or `npm publish <out>`.

import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const pkg = resolve(here, '..');
const root = resolve(pkg, '../..');
const outArg = process.argv.indexOf('--out');
const out = resolve(outArg > 0 ? process.argv[outArg + 1] : join(root, 'dist/packages/node-sdk'));

rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });

const work = mkdtempSync(join(tmpdir(), 'switchyard-node-sdk-build-'));
const tsconfig = join(work, 'tsconfig.json');
writeFileSync(
  tsconfig,
  JSON.stringify({
    extends: join(root, 'tsconfig.json'),
    compilerOptions: {
      noEmit: false,
      declaration: true,
      sourceMap: false,
      experimentalDecorators: false,
      emitDecoratorMetadata: false,
      types: ['node'],
      typeRoots: [join(root, 'node_modules/@types')],
      baseUrl: root,
      rootDir: join(root, 'sdk'),
      outDir: join(out, 'lib'),
      paths: { '@switchyard/core': ['sdk/core/src/index.ts'] },
    },
    files: [join(pkg, 'src/index.ts')],
    include: [],
  }),
);

const node = process.execPath;
try {
  execFileSync(node, [join(root, 'node_modules/typescript/bin/tsc'), '-p', tsconfig], { stdio: 'inherit' });
} finally {
  rmSync(work, { recursive: true, force: true });
}
const sdkOut = join(out, 'lib/node/src');
const coreOut = join(out, 'lib/core/src');
const coreSpecifier = `${relative(sdkOut, coreOut).split('\\').join('/')}/index.js`;
for (const file of readdirSync(sdkOut)) {
  if (!file.endsWith('.js') && !file.endsWith('.d.ts')) continue;
  const path = join(sdkOut, file);
  const text = readFileSync(path, 'utf8');
  const rewritten = text.replace(/(["'])@switchyard\/core\1/g, `$1${coreSpecifier}$1`);
  if (rewritten !== text) writeFileSync(path, rewritten);
}
for (const file of ['package.json', 'README.md', 'index.mjs', 'index.d.mts']) copyFileSync(join(pkg, file), join(out, file));
console.log(`built @switchyard/node-sdk into ${out}`);
