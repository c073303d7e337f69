// `npm run bench:replay` (node bench/replay/run.mjs [--requests 10000] [--rounds 3]): records N requests
// through the built proxy with `--config routes.yml --record DIR` (what `switchyard proxy … --record DIR`
// execs), then replays the capture with `switchyard replay` against a candidate whose `currency`
// differs as fast as it goes (--speed 1000); then records N requests at a steady --rate (200 req/s) and
// replays that capture at the captured pace and at 5×. Also times the same
// N requests through the proxy without recording. Loopback only; everything shares this machine's cores.
import { execFileSync, spawn } from 'node:child_process';
import http from 'node:http';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const REQUESTS = arg('requests', 10_000);
const ROUNDS = arg('rounds', 3);
const CONCURRENCY = 32;
/** The paced capture (for the speed runs) arrives at this steady rate: a replay at 5× must be able to keep up. */
const RATE = arg('rate', 200);
const cli = join(root, 'dist/apps/cli/src/main.js');

if (!existsSync(cli) || !existsSync(join(root, 'dist/apps/proxy/src/main.js'))) {
  console.error('building (npm run build)…');
  execFileSync(process.execPath, ['scripts/build.mjs'], { cwd: root, stdio: ['ignore', 2, 2] });
}

function freePort() {
  return new Promise((done) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => done(port));
    });
  });
}

async function upstream(currency) {
  const child = spawn(process.execPath, [join(root, 'bench/replay/upstream.mjs'), currency], { stdio: ['pipe', 'pipe', 'inherit'] });
  const url = await new Promise((done) => createInterface({ input: child.stdout }).once('line', done));
  return { url, close: () => child.stdin.end() };
}

async function waitReady(admin, child) {
  for (;;) {
    if (child.exitCode !== null) throw new Error(`proxy exited with ${child.exitCode}`);
    const ok = await fetch(`${admin}/readyz`).then(
      (r) => r.status === 200,
      () => false,
    );
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function proxy(config, record) {
  const [port, adminPort] = [await freePort(), await freePort()];
  // What `switchyard proxy` execs, started directly so /proc/<pid>/stat is the proxy's own CPU time.
  const args = [
    join(root, 'dist/apps/proxy/src/main.js'),
    '--config',
    config,
    '--port',
    String(port),
    '--admin-port',
    String(adminPort),
    '--host',
    '127.0.0.1',
    '--log-level',
    'warn',
    // One process, so /proc/<pid>/stat is all of the proxy's CPU.
    '--workers',
    '1',
    '--max-event-loop-utilization',
    '1',
  ];
  if (record) args.push('--record', record, '--record-redact', '$.account.number');
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'inherit', 'inherit'] });
  const admin = `http://127.0.0.1:${adminPort}`;
  await waitReady(admin, child);
  return {
    url: `http://127.0.0.1:${port}`,
    admin,
    cpu: () =>
      Number(
        readFileSync(`/proc/${child.pid}/stat`, 'utf8')
          .split(') ')[1]
          .split(' ')
          .slice(11, 13)
          .reduce((a, b) => a + Number(b), 0),
      ) *
      (1000 / 100),
    stop: () => new Promise((done) => (child.once('exit', done), child.kill('SIGTERM'))),
  };
}

async function send(base, count, rate) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < count) {
        const i = next++;
        // Open loop at a fixed rate when asked: request i leaves at i / rate seconds.
        if (rate) {
          const wait = started + (i * 1000) / rate - performance.now();
          if (wait > 0) await new Promise((r) => setTimeout(r, wait));
        }
        await new Promise((done, fail) => {
          http
            .get(`${base}/quotes/SYM${i % 50}`, { agent, headers: { authorization: 'Bearer bench-secret-token', cookie: 'session=bench-session' } }, (res) => {
              res.resume();
              res.on('end', done);
            })
            .on('error', fail);
        });
      }
    }),
  );
  agent.destroy();
  return performance.now() - started;
}

function replay(capture, candidate, speed) {
  const out = execFileSync(process.execPath, [cli, 'replay', '--capture', capture, '--candidate', candidate, '--speed', String(speed), '--json'], {
    cwd: root,
    maxBuffer: 64 * 1024 * 1024,
  }).toString();
  return JSON.parse(out);
}

function replayAllowingFail(capture, candidate, speed) {
  try {
    return replay(capture, candidate, speed);
  } catch (error) {
    // Exit 1 is the failing verdict this benchmark expects (the candidate's currency differs).
    if (error.status === 1 && error.stdout?.length) return JSON.parse(error.stdout.toString());
    throw error;
  }
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const range = (values) => `${Math.min(...values).toFixed(0)}–${Math.max(...values).toFixed(0)}`;

const work = mkdtempSync(join(os.tmpdir(), 'switchyard-bench-replay-'));
const [primary, candidate] = [await upstream('USD'), await upstream('EUR')];
const config = join(work, 'routes.yml');
writeFileSync(
  config,
  ['- name: quotes', `  primary: ${primary.url}`, `  candidate: ${candidate.url}`, '  sample: { percent: 0 }', '  endpoints: ["/quotes/:symbol"]', ''].join(
    '\n',
  ),
);

const rows = { plain: [], recording: [], plainCpu: [], recordingCpu: [], fastest: [], pace1: [], pace5: [], span: [], bytes: [], written: [] };
let last;
try {
  for (let round = 0; round < ROUNDS; round++) {
    const plain = await proxy(config);
    await send(plain.url, 1000); // warm-up
    let cpu = plain.cpu();
    rows.plain.push(REQUESTS / ((await send(plain.url, REQUESTS)) / 1000));
    rows.plainCpu.push((plain.cpu() - cpu) / REQUESTS);
    await plain.stop();

    const dir = join(work, `capture-${round}`);
    const recording = await proxy(config, dir);
    cpu = recording.cpu();
    rows.recording.push(REQUESTS / ((await send(recording.url, REQUESTS)) / 1000));
    rows.recordingCpu.push((recording.cpu() - cpu) / REQUESTS);
    await recording.stop();
    rows.bytes.push(readdirSync(dir).reduce((sum, name) => sum + statSync(join(dir, name)).size, 0));
    const text = readdirSync(dir)
      .map((name) => readFileSync(join(dir, name), 'utf8'))
      .join('');
    // What the writer got to disk (the rest was dropped and counted, never waited for).
    rows.written.push(text.split('\n').filter((line) => line.startsWith('{"type":"exchange"')).length);
    if (/bench-secret-token|bench-session|bench-cookie|ACCT-31337/.test(text)) throw new Error('a secret is in the capture in clear');

    const fastest = replayAllowingFail(dir, candidate.url, 1000);
    rows.fastest.push(fastest.replay.durationMs);
    // The speed runs replay a capture recorded at a steady RATE req/s.
    const paced = join(work, `paced-${round}`);
    const pacing = await proxy(config, paced);
    await send(pacing.url, REQUESTS, RATE);
    await pacing.stop();
    const pace1 = replayAllowingFail(paced, candidate.url, 1);
    const pace5 = replayAllowingFail(paced, candidate.url, 5);
    rows.span.push(pace1.replay.capturedSpanMs);
    rows.pace1.push(pace1.replay.durationMs);
    rows.pace5.push(pace5.replay.durationMs);
    last = pace5;
  }
} finally {
  primary.close();
  candidate.close();
}

const load = os.loadavg()[0].toFixed(1);
console.log(`## replay

\`npm run bench:replay\` — ${new Date().toISOString().slice(0, 10)}, ${os.cpus().length} cores (${os.cpus()[0].model}), Node ${process.version}, load average ${load} at the end, ${REQUESTS} GETs per round at ${CONCURRENCY} concurrent keep-alive connections on loopback, ${ROUNDS} rounds (medians, ranges over rounds). Proxy, upstreams and client share the cores.

| measure | median | range |
|---|---:|---:|
| through the proxy, not recording: req/s | ${median(rows.plain).toFixed(0)} | ${range(rows.plain)} |
| through the proxy, \`--record DIR\`: req/s | ${median(rows.recording).toFixed(0)} | ${range(rows.recording)} |
| proxy CPU ms per request, not recording (flat out) | ${median(rows.plainCpu).toFixed(3)} | ${Math.min(...rows.plainCpu).toFixed(3)}–${Math.max(...rows.plainCpu).toFixed(3)} |
| proxy CPU ms per request, recording (flat out) | ${median(rows.recordingCpu).toFixed(3)} | ${Math.min(...rows.recordingCpu).toFixed(3)}–${Math.max(...rows.recordingCpu).toFixed(3)} |
| flat-out capture: exchanges written (of ${REQUESTS}; the rest dropped) | ${median(rows.written)} | ${range(rows.written)} |
| capture size, bytes per exchange | ${(median(rows.bytes) / REQUESTS).toFixed(0)} | ${range(rows.bytes.map((b) => b / REQUESTS))} |
| replay of the flat-out capture as fast as it goes (--speed 1000): ms | ${median(rows.fastest).toFixed(0)} | ${range(rows.fastest)} |
| paced capture (${REQUESTS} at ${RATE} req/s): captured span, ms | ${median(rows.span).toFixed(0)} | ${range(rows.span)} |
| replay at the captured pace (--speed 1): ms | ${median(rows.pace1).toFixed(0)} | ${range(rows.pace1)} |
| replay at --speed 5: ms | ${median(rows.pace5).toFixed(0)} | ${range(rows.pace5)} |

Speed 5 took ${((median(rows.pace5) / median(rows.pace1)) * 100).toFixed(0)} % of the captured-pace time (a fifth is 20 %). Last verdict: ${last.outcome} — ${last.verdicts[0].reason}`);
rmSync(work, { recursive: true, force: true });
