#!/usr/bin/env node
// Builds the publishable @switchyard/react package:
//
//   node sdk/react/scripts/build.mjs [--out <dir>]      (default: dist/packages/react)
//
// rolldown bundles src/index.ts as ESM (esm/index.js) and CommonJS (cjs/index.cjs) with `react`
// (a peer) and `@switchyard/web-sdk` (a dependency) left as bare imports; tsc writes the type
// declarations (types/index.d.ts), whose `@switchyard/web-sdk` imports resolve to that package
// (built first into <out>/../web-sdk for its declarations).

import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { rolldown } from 'rolldown';

const here = dirname(fileURLToPath(import.meta.url));
const pkg = resolve(here, '..');
const root = resolve(pkg, '../..');
const outArg = process.argv.indexOf('--out');
const out = resolve(outArg > 0 ? process.argv[outArg + 1] : join(root, 'dist/packages/react'));

// @switchyard/web-sdk is built next to it first, for its type declarations.
const webOut = join(dirname(out), 'web-sdk');
execFileSync(process.execPath, [join(root, 'sdk/web/scripts/build.mjs'), '--out', webOut], { stdio: 'inherit' });

rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
const bundle = await rolldown({ input: join(pkg, 'src/index.ts'), external: ['react', '@switchyard/web-sdk'], platform: 'browser' });
await bundle.write({ file: join(out, 'esm/index.js'), format: 'esm' });
await bundle.write({ file: join(out, 'cjs/index.cjs'), format: 'cjs' });
await bundle.close();

const work = mkdtempSync(join(tmpdir(), 'switchyard-react-build-'));
const tsconfig = join(work, 'tsconfig.json');
writeFileSync(
  tsconfig,
  JSON.stringify({
    extends: join(pkg, 'tsconfig.json'),
    compilerOptions: {
      noEmit: false,
      declaration: true,
      emitDeclarationOnly: true,
      sourceMap: false,
      rootDir: join(pkg, 'src'),
      outDir: join(out, 'types'),
      // Declarations keep the bare `@switchyard/web-sdk` import; only its types are read here.
      paths: { '@switchyard/web-sdk': [join(webOut, 'types/index.d.ts')] },
      baseUrl: root,
    },
    files: [join(pkg, 'src/index.ts')],
    include: [],
  }),
);
try {
  execFileSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', tsconfig], { stdio: 'inherit' });
} finally {
  rmSync(work, { recursive: true, force: true });
}
for (const file of ['package.json', 'README.md']) copyFileSync(join(pkg, file), join(out, file));
console.log(`built @switchyard/react into ${out}`);
