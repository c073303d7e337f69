#!/usr/bin/env node
// Builds the dark-launch proxy as a self-contained directory for its image:
//
//   node apps/proxy/scripts/build.mjs [--out <dir>]      (default: dist/packages/proxy)
//
// <out>/dist/apps/proxy/src/main.js is the proxy bundled into one CommonJS file (at the path the
// tsc build uses, so the image's entrypoint and anything that overrides it keep working), and
// <out>/package.json declares exactly the npm packages that bundle imports, at the ranges of the
// repository's package.json; `npm install --omit=dev` there (the repository's lockfile is copied
// beside it) gives the proxy's node_modules and nothing else.
//
// As for the CLI (apps/cli/scripts/build.mjs): the libs the proxy imports (@switchyard/mirror,
// observability, errors, sdk/core, sdk/node) also export server-side Nest modules from their
// index, so a plain tsc build drags the whole server's dependency tree along. rolldown compiles
// the code the proxy reaches into one file and drops the rest (the libs are declared free of import
// side effects, which holds: they only declare); npm packages stay bare imports. The build fails if
// the bundle still reaches a server-only package.

import { copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { rolldown } from 'rolldown';

const here = dirname(fileURLToPath(import.meta.url));
const pkgDir = resolve(here, '..');
const root = resolve(pkgDir, '../..');
const outArg = process.argv.indexOf('--out');
const out = resolve(outArg > 0 ? process.argv[outArg + 1] : join(root, 'dist/packages/proxy'));
const ENTRY = 'dist/apps/proxy/src/main.js';

/**
 * Packages that belong to the server; the proxy reaching one means a boundary broke. One exception:
 * @nestjs/common, because toErrorBody (libs/errors, the one error shape the proxy answers with too)
 * sits beside the server's Nest exception filter and recognises Nest's HttpException.
 */
const SERVER_ONLY = [/^@nestjs\/(?!common$)/, /^typeorm/, /^@kubernetes\//, /^pg$/, /^@electric-sql\//, /^fastify/, /^@fastify\//, /^class-/];

const packageName = (specifier) => (specifier.startsWith('@') ? specifier.split('/').slice(0, 2).join('/') : specifier.split('/')[0]);
const builtins = new Set([...builtinModules, ...builtinModules.map((name) => `node:${name}`)]);

rmSync(out, { recursive: true, force: true });
mkdirSync(join(out, dirname(ENTRY)), { recursive: true });

const bundle = await rolldown({
  input: join(pkgDir, 'src/main.ts'),
  platform: 'node',
  tsconfig: join(root, 'tsconfig.json'),
  // npm packages stay imports, except the compiler's own helpers (decorators), which are inlined.
  external: (id) =>
    builtins.has(id) || (!id.startsWith('.') && !id.startsWith('/') && !id.startsWith('@switchyard/') && !id.startsWith('@oxc-project/runtime')),
  treeshake: {
    // The proxy's own modules keep their side effects (the entry starts the proxy); the libs' and
    // SDKs' modules only declare, so what the proxy does not use is dropped, Nest modules included.
    moduleSideEffects: (id, external) => !external && !/\/(libs|sdk)\//.test(id),
  },
});
const { output } = await bundle.write({ file: join(out, ENTRY), format: 'cjs', sourcemap: true });
await bundle.close();

const imported = new Set();
// Dynamic imports too: the Node SDK loads ioredis only in its direct-Redis mode.
for (const chunk of output) {
  if (chunk.type !== 'chunk') continue;
  for (const id of [...chunk.imports, ...chunk.dynamicImports]) if (!builtins.has(id)) imported.add(packageName(id));
}
const leaked = [...imported].filter((name) => SERVER_ONLY.some((pattern) => pattern.test(name)));
if (leaked.length > 0) {
  console.error(`switchyard proxy: the bundle reaches server-only packages: ${leaked.join(', ')}`);
  process.exit(1);
}

// The repository installs with legacy-peer-deps (.npmrc), so npm would not add a package's required
// peer dependencies by itself (@nestjs/common needs reflect-metadata and rxjs): declare them.
const installed = (name) => JSON.parse(readFileSync(join(root, 'node_modules', name, 'package.json'), 'utf8'));
const dependencies = new Set(imported);
for (const name of dependencies) {
  const { peerDependencies = {}, peerDependenciesMeta = {} } = installed(name);
  for (const peer of Object.keys(peerDependencies)) if (!peerDependenciesMeta[peer]?.optional) dependencies.add(peer);
}

const rootPackage = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const proxyPackage = {
  name: 'switchyard-proxy',
  version: rootPackage.version,
  private: true,
  description: 'Switchyard dark-launch proxy (bundled; see apps/proxy/scripts/build.mjs)',
  license: rootPackage.license,
  engines: rootPackage.engines,
  main: ENTRY,
  dependencies: Object.fromEntries(
    [...dependencies].sort().map((name) => {
      const range = rootPackage.dependencies?.[name];
      if (!range) throw new Error(`switchyard proxy: the bundle imports ${name}, which is not a dependency of the repository`);
      return [name, range];
    }),
  ),
};
writeFileSync(join(out, 'package.json'), `${JSON.stringify(proxyPackage, null, 2)}\n`);
// With the repository's lockfile (and npm settings) beside it, `npm install --omit=dev` in <out>
// installs the versions the repository is tested with: npm keeps every locked version the smaller
// tree still needs and drops the rest.
for (const file of ['package-lock.json', '.npmrc']) copyFileSync(join(root, file), join(out, file));
console.log(`built the proxy into ${out} (dependencies: ${Object.keys(proxyPackage.dependencies).join(', ') || 'none'})`);
