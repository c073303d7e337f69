import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { waitFor } from '../../support/test-server';

const ROOT = join(__dirname, '../../..');
export const UI_DIST = join(ROOT, 'apps/admin-ui/dist');
const LOCK = join(ROOT, 'apps/admin-ui/.build-lock');
const BUILD_MS = 240_000;

/**
 * Builds the admin UI when a fresh clone runs these suites before `npm run build`. Suites run in
 * parallel workers, so one takes a lock directory (mkdir is atomic) and builds while the others
 * wait for index.html; a lock older than a build's time limit is a crashed builder's and is taken over.
 */
export async function ensureUiBuilt(): Promise<void> {
  const index = join(UI_DIST, 'index.html');
  if (existsSync(index)) return;
  if (existsSync(LOCK) && Date.now() - statSync(LOCK).mtimeMs > BUILD_MS) rmSync(LOCK, { recursive: true, force: true });
  try {
    mkdirSync(LOCK);
  } catch {
    await waitFor(() => existsSync(index) && !existsSync(LOCK), BUILD_MS, 'another worker to build the admin UI');
    return;
  }
  try {
    await promisify(execFile)('npm', ['run', 'build:ui'], { cwd: ROOT, timeout: BUILD_MS, maxBuffer: 16 * 1024 * 1024 });
  } finally {
    rmSync(LOCK, { recursive: true, force: true });
  }
}
