// What the proxy benchmarks (run.mjs, cpu.mjs, workers.mjs) share: building the proxy when its
// sources are newer than dist, free ports, bounded waits, helper processes and stopping them.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

/** What `switchyard proxy` execs, run directly so /proc/<pid>/stat is the proxy's own process. */
export const PROXY_ENTRY = 'dist/apps/proxy/src/main.js';

function newestMtime(dir) {
  let newest = 0;
  if (!existsSync(dir)) return newest;
  for (const name of readdirSync(dir)) {
    if (name.endsWith('.spec.ts')) continue;
    const path = join(dir, name);
    const stat = statSync(path);
    newest = Math.max(newest, stat.isDirectory() ? newestMtime(path) : stat.mtimeMs);
  }
  return newest;
}

/** Builds dist when the proxy's sources (or the libraries it bundles) changed since; run from the repository root. */
export function ensureProxyBuilt(entry = PROXY_ENTRY) {
  const sources = Math.max(...['apps/proxy/src', 'libs/mirror/src', 'libs/observability/src', 'libs/errors/src', 'sdk/core/src'].map(newestMtime));
  if (!existsSync(entry) || statSync(entry).mtimeMs < sources) {
    console.error('bench: building the proxy…');
    execFileSync(process.execPath, ['scripts/build.mjs'], { stdio: ['ignore', 2, 2] });
  }
}

export function freePort() {
  return new Promise((done, fail) => {
    const server = net.createServer();
    server.on('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => done(port));
    });
  });
}

/** Polls `probe` every 50 ms until it answers true; throws after `timeoutMs`. */
export async function waitFor(probe, timeoutMs, what) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await probe().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((done) => setTimeout(done, 50));
  }
}

/** Ends a child politely (SIGTERM by default), then with SIGKILL after `forceAfterMs`. */
export function stopChild(child, politely = () => child.kill('SIGTERM'), forceAfterMs = 5000) {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((done) => {
    const force = setTimeout(() => child.kill('SIGKILL'), forceAfterMs);
    child.once('exit', () => {
      clearTimeout(force);
      done();
    });
    politely();
  });
}

/** A helper process (upstream.mjs, plain-proxy.mjs) that prints one JSON line once it listens and exits when stdin closes. */
export async function startHelper(args, forceAfterMs = 5000) {
  const child = spawn(process.execPath, args, { stdio: ['pipe', 'pipe', 'inherit'] });
  const info = await new Promise((done, fail) => {
    createInterface({ input: child.stdout }).once('line', (line) => done(JSON.parse(line)));
    child.once('exit', (code) => fail(new Error(`${args.join(' ')} exited with ${code}`)));
  });
  return { child, info, stop: () => stopChild(child, () => child.stdin.end(), forceAfterMs) };
}
