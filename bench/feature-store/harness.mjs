// Shared by bench/propagation, bench/ofrep and bench/snapshot: the built server as child processes
// on real PostgreSQL (its own schema, dropped afterwards) and a private redis-server on loopback,
// 100 seeded flags, and the `## feature store` section of bench/README.md.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import pg from 'pg';

export const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
process.chdir(root);

const ENTRY = 'dist/apps/server/src/main.js';
export const DEFAULT_DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/test';

// ------------------------------------------------------------------------------------------------
// Processes

function newestMtime(dir) {
  let newest = 0;
  if (!existsSync(dir)) return newest;
  for (const name of readdirSync(dir)) {
    if (name.endsWith('.spec.ts') || name === 'node_modules') continue;
    const path = join(dir, name);
    const stat = statSync(path);
    newest = Math.max(newest, stat.isDirectory() ? newestMtime(path) : stat.mtimeMs);
  }
  return newest;
}

/** `node scripts/build.mjs` when dist/ is missing or older than the server's sources (or when forced). */
export function ensureBuilt(force = false) {
  const sources = Math.max(newestMtime('apps/server/src'), newestMtime('libs'), newestMtime('sdk/core/src'));
  if (force || !existsSync(ENTRY) || statSync(ENTRY).mtimeMs < sources) {
    console.error('bench: building the server (node scripts/build.mjs)…');
    try {
      execFileSync(process.execPath, ['scripts/build.mjs'], { stdio: ['ignore', 2, 2] });
    } catch (error) {
      // tsc still emits on type errors elsewhere in the tree; only a missing entry point is fatal.
      if (!existsSync(ENTRY)) throw error;
      console.error('bench: the build reported errors (see above); using what it emitted');
    }
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

export async function waitFor(probe, timeoutMs, what) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await probe().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((done) => setTimeout(done, 50));
  }
}

export function stopChild(child, signal = 'SIGTERM') {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((done) => {
    const force = setTimeout(() => child.kill('SIGKILL'), 10_000);
    child.once('exit', () => {
      clearTimeout(force);
      done();
    });
    child.kill(signal);
  });
}

const cleanups = [];
/** Registers teardown work; run in reverse order by `cleanup()`, also on Ctrl-C. */
export function onCleanup(work) {
  cleanups.push(work);
}
export async function cleanup() {
  while (cleanups.length) {
    try {
      await cleanups.pop()();
    } catch (error) {
      console.error(`bench: cleanup failed: ${error instanceof Error ? error.message : error}`);
    }
  }
}
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, () => {
    void cleanup().then(() => process.exit(130));
  });
}

/** A private redis-server on a free loopback port (no persistence), or the machine's when it is missing. */
export async function startRedis() {
  if (spawnSync('sh', ['-c', 'command -v redis-server']).status !== 0) {
    console.error('bench: redis-server not found; using redis://127.0.0.1:6379 with a private key prefix');
    return { url: 'redis://127.0.0.1:6379', private: false };
  }
  const port = await freePort();
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
  onCleanup(() => stopChild(child, 'SIGKILL'));
  await waitFor(
    () =>
      new Promise((done) => {
        const socket = net.createConnection({ port, host: '127.0.0.1' }, () => {
          socket.destroy();
          done(true);
        });
        socket.on('error', () => done(false));
      }),
    5000,
    'redis-server',
  );
  return { url: `redis://127.0.0.1:${port}`, private: true, pid: child.pid };
}

/** A fresh schema on the PostgreSQL server (DATABASE_URL or the machine's), dropped at cleanup. */
export async function createSchema() {
  const url = process.env.DATABASE_URL || DEFAULT_DATABASE_URL;
  const schema = `bench_${randomBytes(5).toString('hex')}`;
  const run = async (sql) => {
    const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5000 });
    await client.connect();
    try {
      await client.query(sql);
    } finally {
      await client.end();
    }
  };
  await run(`CREATE SCHEMA "${schema}"`);
  onCleanup(() => run(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`));
  return { url, schema };
}

/**
 * One server replica from dist/ (as `npm start` runs it in production), on a free port. Replicas
 * of one deployment share `database`, `redis`, `prefix` and `adminToken`.
 */
export async function startServer({ database, redis, prefix, adminToken, env = {} }, nodeArgs = []) {
  const port = await freePort();
  const child = spawn(process.execPath, [...nodeArgs, ENTRY], {
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      NODE_ENV: 'production',
      PORT: String(port),
      HOST: '127.0.0.1',
      DATABASE_URL: database.url,
      DATABASE_SCHEMA: database.schema,
      REDIS_URL: redis.url,
      REDIS_PREFIX: prefix,
      SWITCHYARD_ADMIN_TOKEN: adminToken,
      LOG_LEVEL: 'warn',
      ...env,
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const exited = new Promise((_, fail) => child.once('exit', (code) => fail(new Error(`the server exited with ${code} while starting`))));
  exited.catch(() => undefined);
  const url = `http://127.0.0.1:${port}`;
  onCleanup(() => stopChild(child));
  await Promise.race([waitFor(async () => (await fetch(`${url}/readyz`)).status === 200, 60_000, `the server on port ${port}`), exited]);
  return { url, pid: child.pid, child, stop: () => stopChild(child) };
}

/** Everything a benchmark needs: schema, Redis, shared secrets; call `startServer(deployment)` per replica. */
export async function newDeployment() {
  const [database, redis] = [await createSchema(), await startRedis()];
  const prefix = `bench:${randomBytes(4).toString('hex')}:`;
  return { database, redis, prefix, adminToken: `sy_bench_${randomBytes(18).toString('base64url')}` };
}

// ------------------------------------------------------------------------------------------------
// Admin API

export async function api(server, token, method, path, body, headers = {}) {
  const res = await fetch(`${server.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  const parsed = text && (res.headers.get('content-type') ?? '').includes('json') ? JSON.parse(text) : text;
  if (res.status >= 400) throw new Error(`${method} ${path} → ${res.status} ${text.slice(0, 500)}`);
  return parsed;
}

export const ENVIRONMENT = 'development';
const COUNTRIES = ['NO', 'SE', 'DK', 'DE', 'US', 'FR', 'GB', 'JP'];
const PLANS = ['free', 'team', 'pro', 'enterprise'];

/**
 * 100 flags as a real product has them, all enabled in `development`: boolean rollouts behind
 * country rules, string flags by plan and e-mail, numbers by age and app version, objects for a
 * segment, regex rules. Every evaluation walks conditions, segments and rollout hashing.
 */
export async function seedFlags(server, token, count = 100) {
  await api(server, token, 'POST', '/api/v1/segments', {
    key: 'beta-testers',
    conditions: [{ attribute: 'email', operator: 'ends_with', values: ['@beta.example'] }],
  });
  await api(server, token, 'POST', '/api/v1/segments', {
    key: 'nordics',
    conditions: [{ attribute: 'country', operator: 'in', values: ['NO', 'SE', 'DK', 'FI', 'IS'] }],
  });
  for (let i = 0; i < count; i++) {
    const kind = i % 10;
    const key = `bench.flag-${String(i).padStart(3, '0')}`;
    let body;
    if (kind < 4) {
      body = {
        key,
        type: 'boolean',
        environments: {
          [ENVIRONMENT]: {
            enabled: true,
            rules: [{ conditions: [{ attribute: '', operator: 'in_segment', values: ['nordics'] }], serve: { variant: 'on' } }],
            defaultServe: {
              rollout: [
                { variant: 'on', weight: 25000 + i * 100 },
                { variant: 'off', weight: 75000 - i * 100 },
              ],
            },
          },
        },
      };
    } else if (kind < 6) {
      body = {
        key,
        type: 'string',
        variants: { control: 'control', treatment: 'treatment', holdout: 'holdout' },
        environments: {
          [ENVIRONMENT]: {
            enabled: true,
            rules: [
              { conditions: [{ attribute: 'plan', operator: 'in', values: ['pro', 'enterprise'] }], serve: { variant: 'treatment' } },
              { conditions: [{ attribute: 'email', operator: 'ends_with', values: ['@example.com'], caseInsensitive: true }], serve: { variant: 'holdout' } },
            ],
            defaultServe: {
              rollout: [
                { variant: 'control', weight: 50000 },
                { variant: 'treatment', weight: 50000 },
              ],
            },
          },
        },
      };
    } else if (kind < 8) {
      body = {
        key,
        type: 'number',
        variants: { low: 10, mid: 50, high: 100 },
        environments: {
          [ENVIRONMENT]: {
            enabled: true,
            rules: [
              { conditions: [{ attribute: 'age', operator: 'gte', values: [40] }], serve: { variant: 'high' } },
              { conditions: [{ attribute: 'appVersion', operator: 'semver_gt', values: ['2.3.0'] }], serve: { variant: 'mid' } },
            ],
            defaultServe: { variant: 'low' },
          },
        },
      };
    } else if (kind === 8) {
      body = {
        key,
        type: 'object',
        variants: { basic: { limit: 10, theme: 'light' }, beta: { limit: 100, theme: 'dark', features: ['a', 'b'] } },
        environments: {
          [ENVIRONMENT]: {
            enabled: true,
            rules: [{ conditions: [{ attribute: '', operator: 'in_segment', values: ['beta-testers'] }], serve: { variant: 'beta' } }],
            defaultServe: { variant: 'basic' },
          },
        },
      };
    } else {
      body = {
        key,
        type: 'boolean',
        environments: {
          [ENVIRONMENT]: {
            enabled: true,
            rules: [{ conditions: [{ attribute: 'userId', operator: 'matches', values: ['^user-[0-9]*7$'] }], serve: { variant: 'on' } }],
            defaultServe: { variant: 'off' },
          },
        },
      };
    }
    await api(server, token, 'POST', '/api/v1/flags', body);
  }
}

/** Evaluation contexts that differ in every attribute the seeded rules look at. */
export function contexts(count = 1000) {
  return Array.from({ length: count }, (_, i) => ({
    targetingKey: `user-${i}`,
    userId: `user-${i}`,
    country: COUNTRIES[i % COUNTRIES.length],
    plan: PLANS[(i >> 3) % PLANS.length],
    email: i % 7 === 0 ? `u${i}@beta.example` : `u${i}@Example.com`,
    age: 18 + (i % 50),
    appVersion: `2.${i % 6}.${i % 3}`,
  }));
}

// ------------------------------------------------------------------------------------------------
// Load

/**
 * autocannon flat out for `duration` seconds (after an unmeasured warm-up) with `connections`
 * keep-alive connections. `next()` returns each request's { path, body? }, so contexts and flags
 * rotate. Percentiles come from every response's own timing (autocannon's histogram floors to
 * whole milliseconds).
 */
export async function load({ url, method = 'GET', headers = {}, next, connections = 50, duration = 10, warmup = 2 }) {
  const run = (seconds, record) =>
    new Promise((done, fail) => {
      const latencies = [];
      const statuses = new Map();
      const instance = autocannon(
        {
          url,
          connections,
          duration: seconds,
          requests: [
            {
              method,
              headers,
              setupRequest: (request) => {
                const { path, body } = next();
                return { ...request, path, ...(body === undefined ? {} : { body }) };
              },
            },
          ],
        },
        (error, result) => (error ? fail(error) : done({ result, latencies, statuses })),
      );
      if (record) {
        instance.on('response', (_client, statusCode, _bytes, responseTime) => {
          latencies.push(responseTime);
          statuses.set(statusCode, (statuses.get(statusCode) ?? 0) + 1);
        });
      }
    });
  if (warmup > 0) await run(warmup, false);
  const { result, latencies, statuses } = await run(duration, true);
  latencies.sort((a, b) => a - b);
  const total = latencies.length;
  return {
    requests: total,
    rps: total / duration,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    max: latencies[total - 1],
    errors: result.errors + result.timeouts,
    statuses: Object.fromEntries([...statuses].sort(([a], [b]) => a - b)),
  };
}

// ------------------------------------------------------------------------------------------------
// Figures

export function percentile(sorted, p) {
  if (sorted.length === 0) return NaN;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index];
}

export const ms = (value, digits = 2) => (Number.isFinite(value) ? value.toFixed(digits) : '–');

export function machine() {
  const cpus = os.cpus();
  const model = (cpus[0]?.model ?? 'unknown CPU').replace(/\s+/g, ' ').trim();
  return `${cpus.length} cores (${model}), Node ${process.version}, ${os.platform()} ${os.release()}`;
}

export function loadAverage() {
  return os
    .loadavg()
    .map((n) => n.toFixed(1))
    .join(' / ');
}

const FEATURE_STORE_INTRO = `Issue 3's delivery paths, one command each: \`npm run bench:propagation\`, \`npm run bench:ofrep\`, \`npm run bench:snapshot\`. Each builds \`dist/\` when it is older than the sources (\`node scripts/build.mjs\`), runs the server from it as child processes (as \`npm start\` does) on the machine's PostgreSQL (\`DATABASE_URL\`, default ${DEFAULT_DATABASE_URL}; a schema of its own, dropped afterwards) and a private \`redis-server\`, all on loopback, seeds 100 flags and bounds every load in count and time. Shared set-up: \`bench/feature-store/harness.mjs\`. Options: \`--no-readme\`, \`--build\` (rebuild first), \`--profile\` (CPU profiles of the servers); see each \`run.mjs\` for its own. Unleash 8 reference figures were measured on this machine earlier; ratios are against them.`;

/**
 * Replaces `### <subsection>` inside `## feature store` of bench/README.md, leaving every other
 * section (## proxy, ## sdk, …) as it is.
 */
export function writeReadme(subsection, body) {
  const readme = 'bench/README.md';
  const current = existsSync(readme) ? readFileSync(readme, 'utf8') : '# Benchmarks\n\nOne command per benchmark; the latest figures are kept here.\n';
  const lines = current.split('\n');
  let start = lines.findIndex((line) => /^## feature store\s*$/.test(line));
  if (start < 0) {
    while (lines.length && lines[lines.length - 1].trim() === '') lines.pop();
    lines.push('', '## feature store', '');
    start = lines.length - 2;
  }
  let end = lines.findIndex((line, i) => i > start && /^## /.test(line));
  if (end < 0) end = lines.length;
  const section = lines.slice(start + 1, end);
  const firstSubsection = section.findIndex((line) => /^### /.test(line));
  if (!section.slice(0, firstSubsection < 0 ? section.length : firstSubsection).some((line) => line.trim() !== '')) {
    section.splice(0, firstSubsection < 0 ? section.length : firstSubsection, '', FEATURE_STORE_INTRO, '');
  }
  const heading = `### ${subsection}`;
  let from = section.findIndex((line) => line.trim() === heading);
  let to;
  if (from < 0) {
    while (section.length && section[section.length - 1].trim() === '') section.pop();
    section.push('');
    from = section.length;
    to = from;
  } else {
    to = section.findIndex((line, i) => i > from && /^### /.test(line));
    if (to < 0) to = section.length;
  }
  const block = [heading, '', ...body.trimEnd().split('\n'), ''];
  section.splice(from, to - from, ...block);
  const tail = lines.slice(end);
  const updated = [...lines.slice(0, start + 1), ...section, ...(tail.length ? tail : [])].join('\n');
  writeFileSync(readme, `${updated.trimEnd()}\n`);
  console.error(`bench: wrote "${heading}" under "## feature store" in ${readme}`);
}

/** The options every feature-store benchmark takes. */
export function parseOptions(argv, extra = {}) {
  const options = { duration: 10, connections: 50, warmup: 2, readme: true, build: false, profile: false, ...extra };
  for (let i = 2; i < argv.length; i++) {
    const arg = argv[i];
    const name = arg.replace(/^--/, '').replace(/-([a-z])/g, (_, c) => c.toUpperCase());
    if (arg === '--no-readme') options.readme = false;
    else if (arg === '--build') options.build = true;
    else if (arg === '--profile') options.profile = true;
    else if (arg.startsWith('--') && typeof options[name] === 'number') options[name] = Number(argv[++i]);
    else throw new Error(`unknown argument ${arg} (options: ${Object.keys(options).join(', ')})`);
  }
  return options;
}

let profileDir;
/** Node flags for a server process: with --profile, a CPU profile per server in a temporary directory. */
export function serverNodeArgs(options, name) {
  if (!options.profile) return [];
  if (!profileDir) {
    profileDir = mkdtempSync(join(os.tmpdir(), 'switchyard-profiles-'));
    console.error(`bench: CPU profiles of the servers go to ${profileDir} (open them in Chrome DevTools)`);
  }
  return ['--cpu-prof', `--cpu-prof-dir=${profileDir}`, `--cpu-prof-name=${name}.cpuprofile`];
}
