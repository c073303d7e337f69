#!/usr/bin/env node
// `npx switchyard` inside this repository: builds dist/ when it is missing or older than the
// sources (as `npm start` does), then runs the compiled CLI. Build output goes to stderr so the
// CLI's stdout stays machine-readable.
const { execFileSync } = require('node:child_process');
const { existsSync, readdirSync, statSync } = require('node:fs');
const { join } = require('node:path');

const root = join(__dirname, '..');
const entry = join(root, 'dist/apps/cli/src/main.js');

function newestMtime(dir) {
  let newest = 0;
  if (!existsSync(dir)) return newest;
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name === 'dist') continue;
    const path = join(dir, name);
    const stat = statSync(path);
    newest = Math.max(newest, stat.isDirectory() ? newestMtime(path) : stat.mtimeMs);
  }
  return newest;
}

const sources = Math.max(newestMtime(join(root, 'apps/cli/src')), newestMtime(join(root, 'libs')));
if (!existsSync(entry) || statSync(entry).mtimeMs < sources) {
  process.stderr.write('switchyard: building (first run or sources changed)…\n');
  try {
    execFileSync(process.execPath, ['scripts/build.mjs'], { cwd: root, stdio: ['ignore', 2, 2] });
  } catch {
    if (!existsSync(entry)) {
      process.stderr.write('switchyard: the build failed; see the errors above\n');
      process.exit(1);
    }
    process.stderr.write('switchyard: the build failed; running the previous build\n');
  }
}
require(entry);
