#!/usr/bin/env node
// bench/sdk-propagation — how long a toggle takes to reach SDK clients, through the real server
// and the real SDK (not raw SSE):
//
//   npm run bench:sdk-propagation      (CLIENTS=200 PROCESSES=4 TOGGLES=100 by default)
//
// Starts the server as `npm start` does (building it when sources changed) on embedded PGlite,
// with Redis when 127.0.0.1:6379 (or REDIS_URL) answers; spreads the stream-mode SDK clients over
// worker processes; toggles one flag through the admin API, one toggle at a time, and waits until
// every client has emitted `change` for it. Latency = `change` event in a client − the moment the
// toggle request was sent (both on this machine's clock). Reported: p50/p90/p99/max over all
// client × toggle samples, the API's own response time, and the slowest client per toggle.

import { execFileSync, fork, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '../..');
const CLIENTS = Number(process.env.CLIENTS ?? 200);
const PROCESSES = Number(process.env.PROCESSES ?? 4);
const TOGGLES = Number(process.env.TOGGLES ?? 100);
const now = () => performance.timeOrigin + performance.now();

// ------------------------------------------------------------------------------------------------
// Worker process: a share of the clients, reporting when each sees each version.

async function worker() {
  const [sdkDir, url, token, countText] = process.argv.slice(3);
  const { createClient, ClientEvent } = await import(pathToFileURL(join(sdkDir, 'index.mjs')).href);
  const clients = [];
  const seen = new Map();
  for (let i = 0; i < Number(countText); i++) {
    const client = await createClient({ url, token, metricsIntervalMs: 0, timeoutMs: 30_000 });
    if (client.status !== 'ready') throw new Error(`client ${i} not ready: ${client.stats().lastError}`);
    client.on(ClientEvent.Change, ({ version }) => {
      const t = now();
      let times = seen.get(version);
      if (!times) seen.set(version, (times = []));
      times.push(t);
      if (times.length === clients.length) {
        seen.delete(version);
        process.send({ version, times });
      }
    });
    clients.push(client);
  }
  process.send({ ready: clients.length, version: clients[0].stats().version });
  process.on('message', async (message) => {
    if (message !== 'close') return;
    await Promise.all(clients.map((c) => c.close()));
    process.exit(0);
  });
}

// ------------------------------------------------------------------------------------------------
// Coordinator.

function freePort() {
  return new Promise((done) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => done(port));
    });
  });
}

function portOpen(port) {
  return new Promise((done) => {
    const socket = createConnection({ port, host: '127.0.0.1' }, () => {
      socket.destroy();
      done(true);
    });
    socket.on('error', () => done(false));
  });
}

const percentile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];

async function main() {
  const work = mkdtempSync(join(tmpdir(), 'switchyard-bench-propagation-'));
  const port = await freePort();
  const adminToken = `bench_${randomBytes(16).toString('hex')}`;
  const redisUrl = process.env.REDIS_URL ?? ((await portOpen(6379)) ? 'redis://127.0.0.1:6379' : undefined);
  const env = { ...process.env, PORT: String(port), HOST: '127.0.0.1', DATA_DIR: join(work, 'data'), SWITCHYARD_ADMIN_TOKEN: adminToken, LOG_LEVEL: 'warn' };
  delete env.DATABASE_URL;
  delete env.REDIS_URL;
  if (redisUrl) Object.assign(env, { REDIS_URL: redisUrl, REDIS_PREFIX: `bench:${randomBytes(4).toString('hex')}:` });
  const server = spawn(process.execPath, ['scripts/start.mjs'], { cwd: root, env, stdio: ['ignore', 'ignore', 'inherit'] });
  const workers = [];
  try {
    const base = `http://127.0.0.1:${port}`;
    const deadline = Date.now() + 300_000;
    for (;;) {
      if (server.exitCode !== null) throw new Error(`server exited with ${server.exitCode}`);
      const ok = await fetch(`${base}/readyz`).then(
        (r) => r.ok,
        () => false,
      );
      if (ok) break;
      if (Date.now() > deadline) throw new Error('server did not become ready');
      await new Promise((r) => setTimeout(r, 200));
    }
    const api = async (method, path, body) => {
      const res = await fetch(`${base}${path}`, {
        method,
        headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      if (!res.ok) throw new Error(`${method} ${path} → ${res.status} ${await res.text()}`);
      return res.json();
    };
    await api('POST', '/api/v1/flags', { key: 'propagation', type: 'boolean' });
    const { secret: sdkToken } = await api('POST', '/api/v1/tokens', { name: 'bench-sdk', scopes: ['sdk:development'] });

    const sdkDir = join(work, 'node-sdk');
    execFileSync(process.execPath, [join(root, 'sdk/node/scripts/build.mjs'), '--out', sdkDir], { stdio: 'ignore' });

    // Start the clients, then collect `change` reports per version.
    const reports = new Map();
    let waiting;
    let startVersion;
    const perProcess = Math.ceil(CLIENTS / PROCESSES);
    await Promise.all(
      Array.from({ length: PROCESSES }, (_, i) => {
        const count = Math.min(perProcess, CLIENTS - i * perProcess);
        return new Promise((done, reject) => {
          const child = fork(fileURLToPath(import.meta.url), ['--worker', sdkDir, base, sdkToken, String(count)], {
            stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
          });
          workers.push(child);
          child.once('exit', (code) => code !== 0 && reject(new Error(`worker exited with ${code}`)));
          child.on('message', (message) => {
            if (message.ready !== undefined) {
              startVersion = message.version;
              done();
              return;
            }
            const list = reports.get(message.version) ?? [];
            list.push(...message.times);
            reports.set(message.version, list);
            if (waiting && list.length === CLIENTS && message.version === waiting.version) waiting.resolve();
          });
        });
      }),
    );

    const samples = [];
    const apiMs = [];
    const slowest = [];
    const spread = [];
    let enabled = true;
    for (let i = 1; i <= TOGGLES; i++) {
      const version = startVersion + i;
      const all = new Promise((resolveAll, rejectAll) => {
        waiting = { version, resolve: resolveAll };
        setTimeout(
          () => rejectAll(new Error(`toggle ${i}: only ${(reports.get(version) ?? []).length}/${CLIENTS} clients saw version ${version} within 10 s`)),
          10_000,
        ).unref();
      });
      enabled = !enabled;
      const t0 = now();
      await api('POST', '/api/v1/flags/propagation/environments/development/toggle', { enabled });
      apiMs.push(now() - t0);
      await all;
      const times = reports.get(version).map((t) => t - t0);
      reports.delete(version);
      samples.push(...times);
      slowest.push(Math.max(...times));
      spread.push(Math.max(...times) - Math.min(...times));
      await new Promise((r) => setTimeout(r, 20));
    }
    samples.sort((a, b) => a - b);
    apiMs.sort((a, b) => a - b);
    slowest.sort((a, b) => a - b);
    spread.sort((a, b) => a - b);
    const f = (x) => `${x.toFixed(1)} ms`;
    console.log(
      `\nNode ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, load average ${loadavg()
        .map((l) => l.toFixed(1))
        .join(' ')}; server on embedded PGlite${redisUrl ? ' + Redis' : ', in-process store'}`,
    );
    console.log(`${CLIENTS} stream clients in ${PROCESSES} processes, ${TOGGLES} toggles, ${samples.length} samples\n`);
    console.log('| measure | p50 | p90 | p99 | max |');
    console.log('|---|---:|---:|---:|---:|');
    console.log(
      `| toggle sent → \`change\` in a client | ${f(percentile(samples, 50))} | ${f(percentile(samples, 90))} | ${f(percentile(samples, 99))} | ${f(samples[samples.length - 1])} |`,
    );
    console.log(
      `| toggle sent → last of ${CLIENTS} clients | ${f(percentile(slowest, 50))} | ${f(percentile(slowest, 90))} | ${f(percentile(slowest, 99))} | ${f(slowest[slowest.length - 1])} |`,
    );
    console.log(
      `| first → last client of one toggle (fan-out) | ${f(percentile(spread, 50))} | ${f(percentile(spread, 90))} | ${f(percentile(spread, 99))} | ${f(spread[spread.length - 1])} |`,
    );
    console.log(
      `| admin API toggle response | ${f(percentile(apiMs, 50))} | ${f(percentile(apiMs, 90))} | ${f(percentile(apiMs, 99))} | ${f(apiMs[apiMs.length - 1])} |`,
    );
    console.log(`\np99 target ≤ 50 ms: ${percentile(samples, 99) <= 50 ? 'met' : 'NOT met'}`);
  } finally {
    for (const child of workers) if (child.connected) child.send('close');
    await Promise.all(workers.map((child) => (child.exitCode === null ? new Promise((done) => child.once('exit', done)) : undefined)));
    server.kill('SIGTERM');
    await new Promise((done) => (server.exitCode !== null ? done() : server.once('exit', done)));
    rmSync(work, { recursive: true, force: true });
  }
}

if (process.argv[2] === '--worker') await worker();
else await main();
