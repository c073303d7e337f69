// Compiles the server, proxy, CLI and libs to dist/ (tsc + path-alias rewrite), then the admin UI when present.
import { execFileSync } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';

const run = (cmd, args) => execFileSync(cmd, args, { stdio: 'inherit' });
rmSync('dist', { recursive: true, force: true });
run(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json']);
run(process.execPath, ['node_modules/tsc-alias/dist/bin/index.js', '-p', 'tsconfig.build.json']);
if (existsSync('apps/admin-ui/package.json') || existsSync('apps/admin-ui/vite.config.ts')) {
  run('npm', ['run', 'build:ui']);
}
