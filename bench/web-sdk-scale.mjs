#!/usr/bin/env node
// bench/web-sdk-scale — browser clients on one server replica:
//
//   npm run bench:web-sdk [-- --connections 2000 --toggles 20 --duration 10 --no-readme]
//
// 1. Live values: N browser-style streams (`POST /client/v1/stream` with a client token, read as
//    fetch() reads them) from 4 worker processes, in two shapes: every tab with the same context
//    (anonymous visitors: one stream group) and every tab with its own user (N groups). For each,
//    `toggles` admin-API toggles of one flag, each awaited until every stream got its new values:
//    latency from the toggle request to each stream's frame, server CPU per change (from
//    /proc/<pid>/stat, compared with the same toggles and no streams), and evaluations per change
//    (the server's own counter).
// 2. OFREP bulk req/s with a client token against an sdk: token (101 flags, 1,000 contexts),
//    alternated client, sdk, sdk, client.
//
// The server runs from dist/ with the per-address limit raised: every connection comes from
// 127.0.0.1 here, where in production they come from N browsers. Bounded in count and time.
import { fork } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { clearTimeout, setTimeout } from 'node:timers';
import {
  api,
  cleanup,
  contexts,
  ensureBuilt,
  ENVIRONMENT,
  load,
  loadAverage,
  machine,
  ms,
  newDeployment,
  percentile,
  seedFlags,
  startServer,
} from './feature-store/harness.mjs';

const WORKERS = 4;
const FLAG = 'web.banner';
const ORIGIN = 'https://shop.bench';

if (process.argv[2] === '--worker') worker();
else
  main()
    .catch((error) => {
      console.error(error);
      process.exitCode = 1;
    })
    .finally(() => cleanup());

function parse(argv) {
  const options = { connections: 2000, toggles: 20, duration: 10, warmup: 2, readme: true };
  for (let i = 2; i < argv.length; i++) {
    const name = argv[i].replace(/^--/, '');
    if (name === 'no-readme') options.readme = false;
    else if (name in options) options[name] = Number(argv[++i]);
    else throw new Error(`unknown argument ${argv[i]}`);
  }
  return options;
}

const now = () => performance.timeOrigin + performance.now();

/** A worker: opens its share of streams, then reports when each has seen the next frame. */
function worker() {
  const streams = [];
  let expected = 0;
  process.on('message', (message) => {
    if (message.cmd === 'open') {
      const { url, token, count, offset, shared } = message;
      let opened = 0;
      for (let i = 0; i < count; i++) {
        const context = shared ? {} : { targetingKey: `visitor-${offset + i}` };
        const stream = { frames: [], buffer: '' };
        streams.push(stream);
        const request = http.request(`${url}/client/v1/stream`, {
          method: 'POST',
          agent: false,
          headers: { authorization: `Bearer ${token}`, origin: ORIGIN, 'content-type': 'application/json', accept: 'text/event-stream' },
        });
        request.on('response', (response) => {
          response.setEncoding('utf8');
          response.on('data', (chunk) => {
            stream.buffer += chunk;
            let end;
            while ((end = stream.buffer.indexOf('\n\n')) >= 0) {
              const frame = stream.buffer.slice(0, end);
              stream.buffer = stream.buffer.slice(end + 2);
              if (!frame.startsWith('event: values') && !frame.startsWith('event: changes')) continue;
              stream.frames.push(now());
              if (stream.frames.length === 1 && ++opened === count) process.send({ opened });
              else if (stream.frames.length > 1) check();
            }
          });
        });
        request.on('error', (error) => process.send({ error: error.message }));
        request.end(JSON.stringify({ context }));
      }
    } else if (message.cmd === 'expect') {
      expected = message.frames;
      check();
    } else if (message.cmd === 'close') {
      process.exit(0);
    }
  });
  function check() {
    if (expected === 0 || streams.some((stream) => stream.frames.length < expected)) return;
    process.send({ frames: expected, at: streams.map((stream) => stream.frames[expected - 1]) });
    expected = 0;
  }
}

function cpuTicks(pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return Number(fields[11]) + Number(fields[12]);
}

function rssMb(pid) {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8')
    .split('\n')
    .find((l) => l.startsWith('VmRSS:'));
  return Number(line.split(/\s+/)[1]) / 1024;
}

async function counter(server, name) {
  const text = await (await fetch(`${server.url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return line ? Number(line.split(' ')[1]) : 0;
}

function send(child, message, reply, timeoutMs = 120_000) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`worker did not answer ${JSON.stringify(message).slice(0, 80)} within ${timeoutMs} ms`)), timeoutMs);
    const listener = (answer) => {
      if (answer.error) return reject(new Error(answer.error));
      if (!reply(answer)) return;
      clearTimeout(timer);
      child.off('message', listener);
      resolve(answer);
    };
    child.on('message', listener);
    child.send(message);
  });
}

/**
 * Toggles the flag `toggles` times, each awaited until every stream (if any) got its frame.
 * `state.enabled` is the flag's state (kept across calls); `state.frames` the frames each stream has seen.
 */
async function toggleRounds(server, adminToken, workers, toggles, state) {
  const latencies = [];
  const pid = server.pid;
  const ticks = cpuTicks(pid);
  const evaluations = await counter(server, 'switchyard_client_stream_evaluations_total');
  for (let i = 0; i < toggles; i++) {
    state.enabled = !state.enabled;
    state.frames += 1;
    const waits = workers.map((child) => send(child, { cmd: 'expect', frames: state.frames }, (answer) => answer.frames === state.frames));
    const sentAt = now();
    await api(server, adminToken, 'POST', `/api/v1/flags/${FLAG}/environments/${ENVIRONMENT}/toggle`, { enabled: state.enabled });
    for (const answer of await Promise.all(waits)) for (const at of answer.at) latencies.push(at - sentAt);
  }
  const cpuMs = ((cpuTicks(pid) - ticks) * 10) / toggles;
  const evaluationsPerChange = ((await counter(server, 'switchyard_client_stream_evaluations_total')) - evaluations) / toggles;
  latencies.sort((a, b) => a - b);
  return { latencies, cpuMs, evaluationsPerChange };
}

async function main() {
  const options = parse(process.argv);
  ensureBuilt();
  const deployment = await newDeployment();
  const server = await startServer({ ...deployment, env: { CLIENT_RATE_PER_ADDRESS: '1000000', CLIENT_RATE_PER_TOKEN: '1000000' } });
  await seedFlags(server, deployment.adminToken, 100);
  await api(server, deployment.adminToken, 'POST', '/api/v1/flags', {
    key: FLAG,
    type: 'boolean',
    clientSide: true,
    environments: { [ENVIRONMENT]: { enabled: true } },
  });
  const client = await api(server, deployment.adminToken, 'POST', '/api/v1/tokens', {
    name: 'bench-web',
    scopes: [`client:${ENVIRONMENT}`],
    allowedOrigins: [ORIGIN],
  });
  const sdk = await api(server, deployment.adminToken, 'POST', '/api/v1/tokens', { name: 'bench-backend', scopes: [`sdk:${ENVIRONMENT}`] });
  const state = { enabled: true, frames: 0 };

  // Baseline: what a toggle costs the server with no browser streams open.
  const idle = await toggleRounds(server, deployment.adminToken, [], options.toggles, state);

  const scenarios = [];
  for (const shared of [true, false]) {
    const per = Math.ceil(options.connections / WORKERS);
    const workers = Array.from({ length: WORKERS }, () =>
      fork(new URL(import.meta.url).pathname, ['--worker'], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }),
    );
    const openedAt = now();
    await Promise.all(
      workers.map((child, w) =>
        send(child, { cmd: 'open', url: server.url, token: client.secret, count: per, offset: w * per, shared }, (answer) => answer.opened === per),
      ),
    );
    const openMs = now() - openedAt;
    const rss = rssMb(server.pid);
    // Every stream has its first frame (the values on connect).
    state.frames = 1;
    const run = await toggleRounds(server, deployment.adminToken, workers, options.toggles, state);
    for (const child of workers) child.send({ cmd: 'close' });
    scenarios.push({ shared, streams: per * WORKERS, openMs, rss, ...run });
    console.error(`bench: ${shared ? 'shared' : 'distinct'} contexts: p99 ${ms(percentile(run.latencies, 99))} ms, ${run.cpuMs.toFixed(1)} ms CPU per change`);
  }

  const headers = (token) => ({ authorization: `Bearer ${token}`, origin: ORIGIN, 'content-type': 'application/json' });
  const bodies = contexts(1000).map((context) => JSON.stringify({ context }));
  const bulk = [];
  // Alternated (client, sdk, sdk, client) so neither token always runs on a quieter machine.
  const clientRun = ['client token (`client:development`)', client.secret];
  const sdkRun = ['sdk token (`sdk:development`)', sdk.secret];
  for (const [name, token] of [clientRun, sdkRun, sdkRun, clientRun]) {
    let i = 0;
    bulk.push({
      name,
      ...(await load({
        url: server.url,
        method: 'POST',
        headers: headers(token),
        connections: 50,
        duration: options.duration,
        warmup: options.warmup,
        next: () => ({ path: '/ofrep/v1/evaluate/flags', body: bodies[i++ % bodies.length] }),
      })),
    });
  }
  const load1 = loadAverage();
  await server.stop();

  const lines = [
    `\`npm run bench:web-sdk\` — ${new Date().toISOString().slice(0, 10)}, ${machine()}, load average ${load1} at the end. One server replica (built \`dist/\`, PostgreSQL, private Redis), 101 flags in \`development\`; browser-style streams (\`POST /client/v1/stream\`, one HTTP connection each) from ${WORKERS} worker processes on the same 2 cores; ${options.toggles} admin-API toggles per shape, each awaited until every stream had its new values. Latency from sending the toggle request (so it includes the server's write) to each stream's frame. CPU is the server process's user+system time over the toggles divided by their number; "no streams" is the same toggles with nothing connected (the write path alone).`,
    '',
    '| shape | streams | stream groups evaluated per change | p50 ms | p99 ms | max ms | server CPU per change | … of which streams | server RSS |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|',
    `| no streams (baseline) | 0 | 0 | | | | ${idle.cpuMs.toFixed(1)} ms | | |`,
  ];
  for (const s of scenarios) {
    lines.push(
      `| ${s.shared ? 'every tab the same context (anonymous visitors)' : 'every tab its own user (worst case)'} | ${s.streams} | ${s.evaluationsPerChange.toFixed(0)} | ${ms(percentile(s.latencies, 50))} | ${ms(percentile(s.latencies, 99))} | ${ms(s.latencies.at(-1))} | ${s.cpuMs.toFixed(1)} ms | ${(s.cpuMs - idle.cpuMs).toFixed(1)} ms | ${s.rss.toFixed(0)} MB |`,
    );
  }
  lines.push(
    '',
    `A change costs one bulk evaluation per group of streams with the same (environment, token filter, context), not one per stream, and is written only to groups whose visible values changed. ${scenarios[0]?.streams ?? 0} streams opened in ${ms(scenarios[0]?.openMs ?? 0, 0)} ms (same context) and ${ms(scenarios[1]?.openMs ?? 0, 0)} ms (distinct contexts).`,
    '',
    `OFREP bulk (\`POST /ofrep/v1/evaluate/flags\`, 101 flags, 1,000 rotating contexts), autocannon with 50 connections, ${options.duration} s after a ${options.warmup} s warm-up:`,
    '',
    '| token | req/s | p50 ms | p99 ms | max ms | errors / non-2xx | Unleash frontend API (same machine) |',
    '|---|---:|---:|---:|---:|---:|---|',
  );
  for (const run of bulk) {
    const bad = Object.entries(run.statuses)
      .filter(([status]) => Number(status) >= 300)
      .reduce((n, [, count]) => n + count, 0);
    lines.push(
      `| ${run.name} | ${run.rps.toFixed(0)} | ${ms(run.p50)} | ${ms(run.p99)} | ${ms(run.max, 1)} | ${run.errors} / ${bad} | 688–1,180 req/s, p99 92–179 ms |`,
    );
  }
  const text = lines.join('\n');
  process.stdout.write(`\n${text}\n`);
  if (options.readme) writeSection(text);
}

/** Replaces `## web sdk: browser clients` in bench/README.md, keeping the web SDK size line written by hand. */
function writeSection(body) {
  const readme = 'bench/README.md';
  const lines = readFileSync(readme, 'utf8').split('\n');
  const heading = '## web sdk: browser clients';
  let start = lines.findIndex((line) => line.trim() === heading);
  if (start < 0) {
    while (lines.length && lines[lines.length - 1].trim() === '') lines.pop();
    lines.push('', heading, '');
    start = lines.length - 2;
  }
  let end = lines.findIndex((line, i) => i > start && /^## /.test(line));
  if (end < 0) end = lines.length;
  const kept = lines.slice(start + 1, end).filter((line) => line.startsWith('Size:'));
  const block = [heading, '', ...kept, ...(kept.length ? [''] : []), ...body.trimEnd().split('\n'), ''];
  lines.splice(start, end - start, ...block);
  writeFileSync(readme, `${lines.join('\n').trimEnd()}\n`);
}
