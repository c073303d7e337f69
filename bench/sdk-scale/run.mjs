#!/usr/bin/env node
// bench/sdk-scale — one environment with 10,000 flags against one with 100:
//
//   npm run bench:sdk-scale
//
// For each size, in its own Node process (--expose-gc): the time from the first byte of the
// stream to `ready` (SSE from a loopback server: read, JSON.parse, compile), the same from a
// bootstrap object (compile only), the SDK's heap with the flags loaded, evaluation speed of one
// flag and of keys spread over the whole environment (median of 5 × 1,000,000), and the time to
// apply a one-flag change (server write → `change` event) over 50 changes.

import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '../..');
const SIZES = [100, 10_000];
const EVALUATIONS = 1_000_000;
const RUNS = 5;
const CHANGES = 50;
const COUNTRIES = ['NO', 'SE', 'DK', 'FI', 'DE', 'US', 'GB', 'FR'];

function flag(key, i, enabled = true) {
  // Three shapes, so the environment is not one flag repeated: rule + rollout, segment-free string
  // flag with two rules, and a plain on/off flag.
  if (i % 3 === 0) {
    return {
      key,
      type: 'boolean',
      variants: { on: true, off: false },
      enabled,
      offVariant: 'off',
      rules: [{ id: 'nordics', conditions: [{ attribute: 'country', operator: 'in', values: ['NO', 'SE'] }], serve: { variant: 'on' } }],
      defaultServe: {
        rollout: [
          { variant: 'on', weight: 25000 },
          { variant: 'off', weight: 75000 },
        ],
        salt: `s${i}`,
      },
      version: 1,
    };
  }
  if (i % 3 === 1) {
    return {
      key,
      type: 'string',
      variants: { a: 'blue', b: 'green', c: 'red' },
      enabled,
      offVariant: 'a',
      rules: [
        { id: 'beta', conditions: [{ attribute: 'plan', operator: 'in', values: ['beta'] }], serve: { variant: 'b' } },
        { id: 'staff', conditions: [{ attribute: 'email', operator: 'ends_with', values: ['@example.com'] }], serve: { variant: 'c' } },
      ],
      defaultServe: { variant: 'a' },
      version: 1,
    };
  }
  return { key, type: 'boolean', variants: { on: true, off: false }, enabled, offVariant: 'off', rules: [], defaultServe: { variant: 'on' }, version: 1 };
}

function snapshotOf(size) {
  const flags = {};
  for (let i = 0; i < size; i++) flags[`flag-${i}`] = flag(`flag-${i}`, i);
  return { environment: 'production', version: 1, flags, segments: {} };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const ms = (start) => Number(process.hrtime.bigint() - start) / 1e6;

/** A loopback server with just the SDK stream: the snapshot on connect, then one change per publish(). */
function streamServer(snapshot) {
  const streams = new Set();
  let state = snapshot;
  // Serialised when a client connects, so that publishing costs the server nothing measurable.
  let json;
  const server = createServer((req, res) => {
    json ??= JSON.stringify(state);
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    res.write(`event: snapshot\nid: ${state.version}\ndata: ${json}\n\n`);
    streams.add(res);
    res.on('close', () => streams.delete(res));
  });
  return {
    listen: () => new Promise((done) => server.listen(0, '127.0.0.1', () => done(`http://127.0.0.1:${server.address().port}`))),
    publish(key, value) {
      const previousVersion = state.version;
      state.flags[key] = value;
      state.version = previousVersion + 1;
      json = undefined;
      const data = JSON.stringify({ environment: state.environment, version: state.version, previousVersion, flags: { [key]: value }, segments: {} });
      for (const res of streams) res.write(`event: change\nid: ${state.version}\ndata: ${data}\n\n`);
    },
    close: () => {
      for (const res of streams) res.destroy();
      return new Promise((done) => server.close(done));
    },
  };
}

async function worker(size, sdkDir) {
  const { createClient, ClientEvent } = await import(pathToFileURL(join(sdkDir, 'index.mjs')).href);
  const snapshot = snapshotOf(size);
  const wire = JSON.stringify(snapshot);
  const users = [];
  for (let i = 0; i < 100_000; i++) users.push({ targetingKey: `user-${i}`, country: COUNTRIES[i % 8], plan: i % 10 === 0 ? 'beta' : 'free' });

  // Load from a bootstrap object: compile only.
  const bootstrapMs = [];
  for (let r = 0; r < RUNS; r++) {
    const copy = JSON.parse(wire);
    const start = process.hrtime.bigint();
    const c = await createClient({ offline: true, bootstrap: copy });
    bootstrapMs.push(ms(start));
    await c.close();
  }

  // Load over the stream: connect, read, parse, compile → ready. The heap is measured around the last one.
  const server = streamServer(snapshot);
  const url = await server.listen();
  const streamMs = [];
  let client;
  let heapMb = 0;
  for (let r = 0; r < RUNS; r++) {
    if (client) await client.close();
    client = undefined;
    // Let the closed client's socket finish closing, so that the collector can free it.
    await new Promise((done) => setTimeout(done, 100));
    global.gc();
    const heapBefore = process.memoryUsage().heapUsed;
    const start = process.hrtime.bigint();
    client = await createClient({ url, token: 't', metricsIntervalMs: 0 });
    streamMs.push(ms(start));
    if (client.status !== 'ready') throw new Error('not ready');
    global.gc();
    heapMb = (process.memoryUsage().heapUsed - heapBefore) / 1048576;
  }

  // Evaluation: one flag (the same one in both sizes), then keys spread over the environment.
  const keys = Object.keys(snapshot.flags);
  // Boolean flags spread over the whole environment (every third flag is a string flag).
  const booleans = keys.filter((_, i) => i % 3 !== 1);
  const spread = [];
  for (let i = 0; i < 4096; i++) spread.push(booleans[(i * 7919) % booleans.length]);
  const oneFlag = (n) => {
    let on = 0;
    for (let i = 0; i < n; i++) if (client.getBooleanValue('flag-0', false, users[i % 100_000])) on++;
    return on;
  };
  const manyFlags = (n) => {
    let hits = 0;
    for (let i = 0; i < n; i++) {
      if (client.getBooleanValue(spread[i & 4095], false, users[i % 100_000])) hits++;
    }
    return hits;
  };
  const timed = (fn) => {
    fn(300_000);
    const runs = [];
    for (let r = 0; r < RUNS; r++) {
      const start = process.hrtime.bigint();
      fn(EVALUATIONS);
      runs.push(Number(process.hrtime.bigint() - start) / EVALUATIONS);
    }
    return median(runs);
  };
  const oneFlagNs = timed(oneFlag);
  const spreadNs = timed(manyFlags);

  // A one-flag change: publish → `change` event applied in the client.
  const changeMs = [];
  for (let r = 0; r < CHANGES; r++) {
    const key = keys[(r * 104729) % keys.length];
    const changed = new Promise((done) => client.once(ClientEvent.Change, done));
    const start = process.hrtime.bigint();
    server.publish(key, flag(key, Number(key.slice(5)), r % 2 === 1));
    await changed;
    changeMs.push(ms(start));
  }
  await client.close();
  await server.close();
  process.stdout.write(
    `${JSON.stringify({ size, wireMb: wire.length / 1048576, bootstrapMs: median(bootstrapMs), streamMs: median(streamMs), heapMb, oneFlagNs, spreadNs, changeMs: median(changeMs), changeMaxMs: Math.max(...changeMs) })}\n`,
  );
  process.exit(0);
}

function runWorker(size, sdkDir) {
  return new Promise((done, reject) => {
    const child = spawn(process.execPath, ['--expose-gc', fileURLToPath(import.meta.url), '--worker', String(size), sdkDir], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (chunk) => (out += chunk));
    child.on('exit', (code) => (code === 0 ? done(JSON.parse(out.trim().split('\n').pop())) : reject(new Error(`size ${size} exited with ${code}`))));
  });
}

async function main() {
  const buildRoot = mkdtempSync(join(tmpdir(), 'switchyard-bench-scale-'));
  try {
    const sdkDir = join(buildRoot, 'node-sdk');
    execFileSync(process.execPath, [join(root, 'sdk/node/scripts/build.mjs'), '--out', sdkDir], { stdio: 'ignore' });
    const results = [];
    for (const size of SIZES) results.push(await runWorker(size, sdkDir));
    console.log(
      `\nNode ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, load average ${loadavg()
        .map((l) => l.toFixed(1))
        .join(' ')}; medians\n`,
    );
    console.log(
      '| flags | snapshot | load over SSE → ready | load from bootstrap | SDK heap | eval, one flag | eval, keys across env | one-flag change → event (median / max) |',
    );
    console.log('|---:|---:|---:|---:|---:|---:|---:|---:|');
    for (const r of results) {
      console.log(
        `| ${r.size.toLocaleString('en')} | ${r.wireMb.toFixed(2)} MB | ${r.streamMs.toFixed(1)} ms | ${r.bootstrapMs.toFixed(1)} ms | ${r.heapMb.toFixed(1)} MB | ${r.oneFlagNs.toFixed(1)} ns | ${r.spreadNs.toFixed(1)} ns | ${r.changeMs.toFixed(2)} / ${r.changeMaxMs.toFixed(2)} ms |`,
      );
    }
  } finally {
    rmSync(buildRoot, { recursive: true, force: true });
  }
}

if (process.argv[2] === '--worker') await worker(Number(process.argv[3]), process.argv[4]);
else await main();
