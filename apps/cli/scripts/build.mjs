#!/usr/bin/env node
// Builds the publishable @switchyard/cli package:
//
//   node apps/cli/scripts/build.mjs [--out <dir>]      (default: dist/packages/cli)
//
// The CLI's sources import the pipeline, builder and runner code of @switchyard/deploy, whose
// index also exports the server's Nest modules. A plain tsc build (as for sdk/node) would carry
// that index and require Nest, TypeORM and the Kubernetes client at start, so the CLI is bundled
// instead (rolldown, which vite already brings): the libs' code the CLI reaches is compiled into
// one CommonJS file, everything else is left out (the libs are declared free of import side
// effects, which holds: they only declare), and npm packages stay bare imports. The package's
// dependencies are exactly those imports, at the versions the repository's lockfile was resolved
// from; the build fails if the bundle still reaches a server-only package.
//
// Then `npm pack <out>` gives a tarball that `npx --package=<tarball> switchyard …` runs with only Node.

import { chmodSync, copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { rolldown } from 'rolldown';

const here = dirname(fileURLToPath(import.meta.url));
const pkgDir = resolve(here, '..');
const root = resolve(pkgDir, '../..');
const outArg = process.argv.indexOf('--out');
const out = resolve(outArg > 0 ? process.argv[outArg + 1] : join(root, 'dist/packages/cli'));

/** Packages that belong to the server; the CLI reaching one means a boundary broke. */
const SERVER_ONLY = [/^@nestjs\//, /^typeorm/, /^@kubernetes\//, /^pg$/, /^@electric-sql\//, /^ioredis$/, /^fastify/, /^reflect-metadata$/];

const packageName = (specifier) => (specifier.startsWith('@') ? specifier.split('/').slice(0, 2).join('/') : specifier.split('/')[0]);
const builtins = new Set([...builtinModules, ...builtinModules.map((name) => `node:${name}`)]);

rmSync(out, { recursive: true, force: true });
mkdirSync(join(out, 'lib'), { recursive: true });

const bundle = await rolldown({
  input: join(pkgDir, 'src/main.ts'),
  platform: 'node',
  tsconfig: join(root, 'tsconfig.json'),
  external: (id) => builtins.has(id) || (!id.startsWith('.') && !id.startsWith('/') && !id.startsWith('@switchyard/')),
  treeshake: {
    // The CLI's own modules keep their side effects (the entry starts the CLI); the libs' modules
    // only declare, so what the CLI does not use is dropped, the server's Nest modules included.
    moduleSideEffects: (id, external) => !external && !/\/(libs|sdk)\//.test(id),
  },
});
const { output } = await bundle.write({ file: join(out, 'lib/switchyard.cjs'), format: 'cjs', sourcemap: true });
await bundle.close();

const imported = new Set();
for (const chunk of output) if (chunk.type === 'chunk') for (const id of chunk.imports) if (!builtins.has(id)) imported.add(packageName(id));
const leaked = [...imported].filter((name) => SERVER_ONLY.some((pattern) => pattern.test(name)));
if (leaked.length > 0) {
  console.error(`@switchyard/cli: the bundle reaches server-only packages: ${leaked.join(', ')}`);
  process.exit(1);
}

const rootPackage = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const cliPackage = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8'));
cliPackage.version = rootPackage.version;
cliPackage.dependencies = Object.fromEntries(
  [...imported].sort().map((name) => {
    const range = rootPackage.dependencies?.[name];
    if (!range) throw new Error(`@switchyard/cli: the bundle imports ${name}, which is not a dependency of the repository`);
    return [name, range];
  }),
);
delete cliPackage.scripts;
writeFileSync(join(out, 'package.json'), `${JSON.stringify(cliPackage, null, 2)}\n`);
copyFileSync(join(pkgDir, 'README.md'), join(out, 'README.md'));
mkdirSync(join(out, 'bin'));
copyFileSync(join(pkgDir, 'bin/switchyard.js'), join(out, 'bin/switchyard.js'));
chmodSync(join(out, 'bin/switchyard.js'), 0o755);
console.log(`built @switchyard/cli ${cliPackage.version} into ${out} (dependencies: ${Object.keys(cliPackage.dependencies).join(', ') || 'none'})`);
