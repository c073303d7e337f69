// `npm run start:proxy -- --config routes.yml --port 8080 --admin-port 8081`: builds when the
// proxy's entry is missing or older than the sources it is built from, then runs it.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const entry = 'dist/apps/proxy/src/main.js';

function newestMtime(dir) {
  let newest = 0;
  if (!existsSync(dir)) return newest;
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name === 'dist' || name.endsWith('.spec.ts')) continue;
    const path = join(dir, name);
    const stat = statSync(path);
    newest = Math.max(newest, stat.isDirectory() ? newestMtime(path) : stat.mtimeMs);
  }
  return newest;
}

// The proxy's import graph only, so edits elsewhere (the server, other libs) do not rebuild dist/ under it.
const PROXY_SOURCES = ['apps/proxy/src', 'libs/mirror/src', 'libs/observability/src', 'libs/errors/src', 'sdk/core/src'];
const sources = Math.max(...PROXY_SOURCES.map(newestMtime));
if (!existsSync(entry) || statSync(entry).mtimeMs < sources) {
  console.error('switchyard proxy: building (first start or sources changed)…');
  execFileSync(process.execPath, ['scripts/build.mjs'], { stdio: ['ignore', 2, 2] });
}
const child = spawn(process.execPath, ['--enable-source-maps', entry, ...process.argv.slice(2)], { stdio: 'inherit' });
// SIGHUP too: it asks the proxy to re-read its route file.
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => child.kill(signal));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
