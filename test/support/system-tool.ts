import { spawnSync } from 'node:child_process';

/**
 * Whether a system tool is on PATH. When it is missing the suite prints one line naming the
 * Debian package and skips — except under CI=true, where a missing tool is a failure.
 */
export function requireTool(binary: string, debianPackage = binary): boolean {
  const found = spawnSync('sh', ['-c', `command -v ${binary}`], { encoding: 'utf8' }).status === 0;
  if (found) return true;
  if (process.env.CI === 'true') throw new Error(`${binary} is required under CI=true: install the Debian package "${debianPackage}" (npm run setup:system)`);
  process.stdout.write(`skipping: ${binary} not found — install the Debian package "${debianPackage}" (npm run setup:system)\n`);
  return false;
}
