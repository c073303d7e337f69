#!/usr/bin/env node
// Builds the publishable @switchyard/openfeature-provider package:
//
//   node sdk/openfeature-provider/scripts/build.mjs [--out <dir>]   (default: dist/packages/openfeature-provider)
//
// It first builds @switchyard/node-sdk next to it (<out>/../node-sdk) for its type declarations,
// then compiles src/ to CommonJS with .d.ts files under <out>/lib. `@switchyard/node-sdk` (a
// dependency) and `@openfeature/server-sdk` (a peer dependency) stay bare imports, resolved from
// the installing project's node_modules. package.json, README.md and the ESM wrapper
// (index.mjs + index.d.mts, re-exporting the CommonJS build) are copied next to lib/.

import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const pkg = resolve(here, '..');
const root = resolve(pkg, '../..');
const outArg = process.argv.indexOf('--out');
const out = resolve(outArg > 0 ? process.argv[outArg + 1] : join(root, 'dist/packages/openfeature-provider'));
const sdkOut = join(dirname(out), 'node-sdk');

const node = process.execPath;
execFileSync(node, [join(root, 'sdk/node/scripts/build.mjs'), '--out', sdkOut], { stdio: 'inherit' });

rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
const work = mkdtempSync(join(tmpdir(), 'switchyard-of-provider-build-'));
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
      rootDir: join(pkg, 'src'),
      outDir: join(out, 'lib'),
      paths: { '@switchyard/node-sdk': [join(sdkOut, 'lib/node/src/index.d.ts')] },
    },
    files: [join(pkg, 'src/index.ts')],
    include: [],
  }),
);
try {
  execFileSync(node, [join(root, 'node_modules/typescript/bin/tsc'), '-p', tsconfig], { stdio: 'inherit' });
} finally {
  rmSync(work, { recursive: true, force: true });
}
for (const file of ['package.json', 'README.md', 'index.mjs', 'index.d.mts']) copyFileSync(join(pkg, file), join(out, file));
console.log(`built @switchyard/openfeature-provider into ${out}`);
