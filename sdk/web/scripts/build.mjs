#!/usr/bin/env node
// Builds the publishable @switchyard/web-sdk package:
//
//   node sdk/web/scripts/build.mjs [--out <dir>]      (default: dist/packages/web-sdk)
//
// 1. rolldown bundles src/index.ts and src/openfeature/index.ts, minified, as ESM (esm/*.js, the
//    shared client in one chunk) and CommonJS (cjs/*.cjs). No runtime dependencies;
//    `@openfeature/web-sdk` (an optional peer, used only by the `./openfeature` entry) stays a bare import.
// 2. tsc writes the type declarations under types/.
// 3. package.json and README.md are copied; the size a page pays for the main entry (minified
//    and gzipped, one bundle) is printed, as reported in bench/README.md.

import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { rolldown } from 'rolldown';

const here = dirname(fileURLToPath(import.meta.url));
const pkg = resolve(here, '..');
const root = resolve(pkg, '../..');
const outArg = process.argv.indexOf('--out');
const out = resolve(outArg > 0 ? process.argv[outArg + 1] : join(root, 'dist/packages/web-sdk'));

rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });

const input = { index: join(pkg, 'src/index.ts'), openfeature: join(pkg, 'src/openfeature/index.ts') };
const external = ['@openfeature/web-sdk'];
const bundle = await rolldown({ input, external, platform: 'browser' });
await bundle.write({ dir: join(out, 'esm'), format: 'esm', minify: true, entryFileNames: '[name].js', chunkFileNames: '[name]-[hash].js' });
await bundle.write({ dir: join(out, 'cjs'), format: 'cjs', minify: true, entryFileNames: '[name].cjs', chunkFileNames: '[name]-[hash].cjs' });
await bundle.close();

// What a page that imports only the client downloads: the main entry as one minified bundle.
const single = await rolldown({ input: join(pkg, 'src/index.ts'), platform: 'browser' });
const { output } = await single.generate({ format: 'esm', minify: true });
await single.close();
const code = output[0].code;
const size = { minified: Buffer.byteLength(code), gzipped: gzipSync(code, { level: 9 }).length };

const work = mkdtempSync(join(tmpdir(), 'switchyard-web-sdk-build-'));
const tsconfig = join(work, 'tsconfig.json');
writeFileSync(
  tsconfig,
  JSON.stringify({
    extends: join(root, 'tsconfig.json'),
    compilerOptions: {
      noEmit: false,
      declaration: true,
      emitDeclarationOnly: true,
      sourceMap: false,
      experimentalDecorators: false,
      emitDecoratorMetadata: false,
      types: [],
      typeRoots: [join(root, 'node_modules/@types')],
      lib: ['ES2023', 'DOM'],
      rootDir: join(pkg, 'src'),
      outDir: join(out, 'types'),
    },
    files: [join(pkg, 'src/index.ts'), join(pkg, 'src/openfeature/index.ts')],
    include: [],
  }),
);
try {
  execFileSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', tsconfig], { stdio: 'inherit' });
} finally {
  rmSync(work, { recursive: true, force: true });
}
for (const file of ['package.json', 'README.md']) copyFileSync(join(pkg, file), join(out, file));
console.log(`built @switchyard/web-sdk into ${out}; main entry ${size.minified} B minified, ${size.gzipped} B gzipped`);
