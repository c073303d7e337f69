// What the proxy benchmarks (run.mjs, cpu.mjs, workers.mjs) share: building the proxy when its
// sources are newer than dist, free ports, bounded waits, helper processes and stopping them.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, statSync, writeFileSync } from 'node:fs';
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

/**
 * `switchyard proxy` from `main` (default dist) with one route, as one process (`--workers 1`): its own
 * /proc/<pid>/stat is then all of the proxy's CPU, and throughput compares with one plain http-proxy.
 */
export async function startSwitchyard(work, route, { extraArgs = [], main = PROXY_ENTRY, nodeArgs = [] } = {}) {
  const [port, adminPort] = [await freePort(), await freePort()];
  const config = join(work, `routes-${port}.yml`);
  writeFileSync(config, `- ${JSON.stringify(route)}\n`);
  const args = ['--config', config, '--port', String(port), '--admin-port', String(adminPort), '--host', '127.0.0.1', '--log-level', 'error'];
  const child = spawn(process.execPath, [...nodeArgs, main, ...args, '--workers', '1', ...extraArgs], { stdio: ['ignore', 'inherit', 'inherit'] });
  const adminUrl = `http://127.0.0.1:${adminPort}`;
  await waitFor(async () => (await fetch(`${adminUrl}/readyz`)).status === 200, 30_000, 'switchyard proxy');
  return { child, port, url: `http://127.0.0.1:${port}`, adminUrl, pid: child.pid, stop: () => stopChild(child) };
}

/**
 * nginx as the peer: proxy_pass with keep-alive, and with `mirrorTo` its `mirror` directive copying every
 * request there (1 s connect, 2 s read timeouts), one worker, configured under `work`.
 */
export async function startNginx(work, upstreams, mirrorTo) {
  const port = await freePort();
  const prefix = mkdtempSync(join(work, 'nginx-'));
  const temp = ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((name) => `${name}_temp_path ${prefix}/${name};`).join('\n  ');
  const mirror = mirrorTo
    ? `mirror /__mirror;
      mirror_request_body on;`
    : '';
  const conf = `${process.getuid?.() === 0 ? 'user root;' : ''}
worker_processes 1;
daemon off;
pid ${prefix}/nginx.pid;
error_log ${prefix}/error.log error;
events { worker_connections 4096; }
http {
  access_log off;
  ${temp}
  upstream primary { server ${new URL(upstreams.primary).host}; keepalive 128; }
  upstream shadow { server ${mirrorTo ? new URL(mirrorTo).host : new URL(upstreams.primary).host}; keepalive 128; }
  server {
    listen 127.0.0.1:${port};
    location / {
      ${mirror}
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_pass http://primary;
    }
    location = /__mirror {
      internal;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header X-Switchyard-Shadow 1;
      proxy_connect_timeout 1s;
      proxy_read_timeout 2s;
      proxy_pass http://shadow$request_uri;
    }
  }
}
`;
  writeFileSync(join(prefix, 'nginx.conf'), conf);
  const child = spawn('nginx', ['-p', prefix, '-c', join(prefix, 'nginx.conf')], { stdio: ['ignore', 'inherit', 'inherit'] });
  await waitFor(async () => (await fetch(`http://127.0.0.1:${port}/`)).status === 200, 10_000, 'nginx');
  return { child, port, url: `http://127.0.0.1:${port}`, pid: child.pid, stop: () => stopChild(child, () => child.kill('SIGQUIT')) };
}
