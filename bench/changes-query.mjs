// `npm run bench:changes` (bench/changes-query.mjs): the timeline query `GET /api/v1/changes` of the built server (one
// replica, the machine's PostgreSQL, a private Redis) over 100,000 audit events spread over 14 days
// (3 environments, 20 services, flag edits, rollout steps, approvals, verdicts, guardrail trips,
// rollbacks, mirror routes, release stages), one request at a time so each figure is the query's own
// latency (HTTP, auth, SQL and JSON included). Target (issue 14): p99 < 50 ms. Each filter is also
// run through the built ChangesService directly on one PostgreSQL connection (the query and its
// mapping, without HTTP), with EXPLAIN ANALYZE's execution time and the index the plan used.
//
// Options: --requests n (per filter, default 400), --no-readme, --build.
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { api, cleanup, ensureBuilt, loadAverage, machine, ms, newDeployment, percentile, startServer } from './feature-store/harness.mjs';

const EVENTS = 100_000;
const SPAN_SECONDS = 14 * 24 * 3600;
const options = { requests: 400, warmup: 40, readme: true, build: false };
for (let i = 2; i < process.argv.length; i++) {
  const arg = process.argv[i];
  if (arg === '--requests') options.requests = Number(process.argv[++i]);
  else if (arg === '--no-readme') options.readme = false;
  else if (arg === '--build') options.build = true;
  else throw new Error(`unknown option ${arg}`);
}
if (!(Number.isInteger(options.requests) && options.requests > 0)) throw new Error('--requests must be a positive integer');

// The mix of a busy installation: mostly flag edits and rollout steps, rare trips and rollbacks.
const ACTIONS = [
  ['flag.environment.updated', 30],
  ['flag.toggled', 15],
  ['segment.updated', 3],
  ['release.stage.started', 8],
  ['rollout.applied', 10],
  ['rollout.deployed', 6],
  ['rollout.gate.waiting', 4],
  ['rollout.gate.approved', 4],
  ['rollout.verdict', 5],
  ['rollout.dark-launch.verdict', 3],
  ['rollout.flag-release.step', 6],
  ['rollout.flag-release.tripped', 0.3],
  ['rollout.rolled-back', 0.7],
  ['mirror-route.updated', 3],
  ['rollout.succeeded', 2],
];
const ACTORS = ['system:rollout', 'user:ada@example.com', 'user:grace@example.com', 'token:ci', 'token:deploy-bot'];

/** Inserts the events in one statement per 10,000, oldest first (ids grow with time, as in production). */
async function seed(database) {
  const client = new pg.Client({ connectionString: database.url });
  await client.connect();
  try {
    await client.query(`SET search_path TO "${database.schema}"`);
    const total = ACTIONS.reduce((sum, [, weight]) => sum + weight, 0);
    let acc = 0;
    const cases = ACTIONS.map(([action, weight]) => {
      acc += weight / total;
      return `WHEN r < ${acc.toFixed(6)} THEN '${action}'`;
    }).join(' ');
    for (let from = 0; from < EVENTS; from += 10_000) {
      await client.query(
        `INSERT INTO audit_events (at, actor, action, target, environment, service, before, after, meta, summary, comment)
         SELECT at, actor, action,
                CASE WHEN action LIKE 'flag.%' THEN 'flag:flag-' || (i % 300)
                     WHEN action LIKE 'segment.%' THEN 'segment:segment-' || (i % 20)
                     WHEN action LIKE 'mirror-route.%' THEN 'mirror-route:svc-' || (i % 20)
                     ELSE 'release:svc-' || (i % 20) || '/' || md5(i::text) END,
                (ARRAY['production', 'staging', 'development'])[1 + (i % 10 >= 4)::int + (i % 10 >= 7)::int],
                CASE WHEN action LIKE 'flag.%' OR action LIKE 'segment.%' THEN NULL ELSE 'svc-' || (i % 20) END,
                '{"enabled": false}'::jsonb, jsonb_build_object('enabled', true, 'reason', 'seeded event ' || i),
                jsonb_build_object('version', i % 50), '["Production: turns ON"]'::jsonb,
                CASE WHEN i % 7 = 0 THEN 'seeded change comment' END
         FROM (
           SELECT i, now() - make_interval(secs => (($2::int - i) * ${SPAN_SECONDS / EVENTS})::double precision) AS at,
                  (ARRAY[${ACTORS.map((a) => `'${a}'`).join(', ')}])[1 + (i % ${ACTORS.length})] AS actor,
                  CASE ${cases} ELSE 'rollout.succeeded' END AS action
           FROM (SELECT i, ((i * 7919) % 10007) / 10007.0 AS r FROM generate_series($1::int, $1::int + 9999) AS i) numbered
         ) events ORDER BY i`,
        [from, EVENTS],
      );
    }
    await client.query('ANALYZE audit_events');
    const [{ count }] = (await client.query('SELECT count(*)::int AS count FROM audit_events')).rows;
    return count;
  } finally {
    await client.end();
  }
}

async function measure(server, token, query) {
  const url = `${server.url}/api/v1/changes?${query}`;
  const headers = { authorization: `Bearer ${token}` };
  const one = async () => {
    const started = performance.now();
    const res = await fetch(url, { headers });
    const body = await res.json();
    const elapsed = performance.now() - started;
    if (res.status !== 200) throw new Error(`${query}: ${res.status} ${JSON.stringify(body).slice(0, 300)}`);
    return { elapsed, items: body.items.length };
  };
  for (let i = 0; i < options.warmup; i++) await one();
  const latencies = [];
  let items = 0;
  for (let i = 0; i < options.requests; i++) {
    const { elapsed, items: count } = await one();
    latencies.push(elapsed);
    items = count;
  }
  latencies.sort((a, b) => a - b);
  return { query, items, p50: percentile(latencies, 50), p99: percentile(latencies, 99), max: latencies[latencies.length - 1] };
}

/** The built ChangesService over one pg connection: the statement it sends, timed without HTTP. */
async function direct(database) {
  const load = createRequire(import.meta.url);
  const { ChangesService } = load('../dist/libs/audit/src/changes.service.js');
  const { ChangesRepository } = load('../dist/libs/audit/src/changes.repository.js');
  const client = new pg.Client({ connectionString: database.url });
  await client.connect();
  await client.query(`SET search_path TO "${database.schema}"`);
  let last;
  const db = {
    query: async (sql, params) => {
      last = { sql, params };
      return (await client.query(sql, params)).rows;
    },
  };
  const service = new ChangesService(new ChangesRepository(db));
  return {
    close: () => client.end(),
    async measure(query) {
      const params = new URLSearchParams(query);
      const since = params.get('since');
      const lookback = { m: 60_000, h: 3_600_000, d: 86_400_000 };
      const input = {
        environment: params.get('environment') ?? undefined,
        service: params.get('service') ?? undefined,
        kind: params.get('kind') ?? undefined,
        actor: params.get('actor') ?? undefined,
        cursor: params.get('cursor') ?? undefined,
        limit: 50,
      };
      const run = () => service.list({ ...input, since: since ? new Date(Date.now() - Number(since.slice(0, -1)) * lookback[since.slice(-1)]) : undefined });
      for (let i = 0; i < options.warmup; i++) await run();
      const latencies = [];
      for (let i = 0; i < options.requests; i++) {
        const started = performance.now();
        await run();
        latencies.push(performance.now() - started);
      }
      latencies.sort((a, b) => a - b);
      const plan = (await client.query(`EXPLAIN (ANALYZE, FORMAT JSON) ${last.sql}`, last.params)).rows[0]['QUERY PLAN'][0];
      const indexes = new Set();
      const walk = (node) => {
        if (node['Index Name']) indexes.add(node['Index Name']);
        for (const child of node.Plans ?? []) walk(child);
      };
      walk(plan.Plan);
      return { p50: percentile(latencies, 50), p99: percentile(latencies, 99), execution: plan['Execution Time'], index: [...indexes].join(', ') || 'none' };
    },
  };
}

/** Replaces (or appends) the `## changes query` section of bench/README.md, leaving the others as they are. */
function writeSection(body) {
  const readme = 'bench/README.md';
  const lines = readFileSync(readme, 'utf8').split('\n');
  const start = lines.findIndex((line) => /^## changes query\s*$/.test(line));
  const block = ['## changes query', '', ...body.trimEnd().split('\n'), ''];
  if (start < 0) {
    while (lines.length && lines[lines.length - 1].trim() === '') lines.pop();
    lines.push('', ...block);
  } else {
    let end = lines.findIndex((line, i) => i > start && /^## /.test(line));
    if (end < 0) end = lines.length;
    lines.splice(start, end - start, ...block);
  }
  writeFileSync(readme, `${lines.join('\n').trimEnd()}\n`);
  console.error('bench: wrote "## changes query" in bench/README.md');
}

async function main() {
  ensureBuilt(options.build);
  const deployment = await newDeployment();
  const server = await startServer(deployment);
  const token = (await api(server, deployment.adminToken, 'POST', '/api/v1/tokens', { name: 'bench-changes', scopes: ['deploy:read'] })).secret;
  console.error(`bench: inserting ${EVENTS} audit events`);
  const count = await seed(deployment.database);
  const deep = await api(server, token, 'GET', '/api/v1/changes?environment=production&since=7d&limit=200');
  const filters = [
    ['typical: environment=production&since=30m', 'environment=production&since=30m'],
    ['a full page: environment=production&since=7d', 'environment=production&since=7d'],
    ['page 5 (cursor) of environment=production&since=7d', `environment=production&since=7d&cursor=${deep.nextCursor}`],
    ['service=svc-3&since=2h', 'service=svc-3&since=2h'],
    ['service=svc-3&since=7d', 'service=svc-3&since=7d'],
    ['environment=production&kind=verdict&since=7d', 'environment=production&kind=verdict&since=7d'],
    ['rare kind: environment=production&kind=guardrail&since=7d', 'environment=production&kind=guardrail&since=7d'],
    ['environment=production&actor=user:ada*&since=24h', `environment=production&actor=${encodeURIComponent('user:ada*')}&since=24h`],
    ['no filter: since=30m', 'since=30m'],
  ];
  const rows = [];
  const service = await direct(deployment.database);
  try {
    for (const [name, query] of filters) {
      console.error(`bench: ${name}, ${options.requests} requests one at a time, then as many direct queries`);
      rows.push({ name, ...(await measure(server, token, query)), direct: await service.measure(query) });
    }
  } finally {
    await service.close();
  }
  const table = [
    '| filter | items | HTTP p50 ms | HTTP p99 ms | HTTP max ms | query p50 ms | query p99 ms | EXPLAIN ANALYZE ms | index | target p99 < 50 ms (query) |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---|---|',
    ...rows.map(
      (r) =>
        `| ${r.name} | ${r.items} | ${ms(r.p50)} | ${ms(r.p99)} | ${ms(r.max)} | ${ms(r.direct.p50)} | ${ms(r.direct.p99)} | ${ms(r.direct.execution)} | ${r.direct.index} | ${r.direct.p99 < 50 ? 'met' : 'missed'} |`,
    ),
  ].join('\n');
  const text = `\`npm run bench:changes\` — ${new Date().toISOString().slice(0, 10)}, ${machine()}, load average ${loadAverage()} at the end. The built server (\`dist/\`, one replica) on the machine's PostgreSQL with ${count.toLocaleString('en-US')} audit events over 14 days (3 environments, 20 services; flag edits, rollout steps, approvals, verdicts, guardrail trips, rollbacks, mirror routes), \`GET /api/v1/changes\` with a \`deploy:read\` token, ${options.requests} requests per filter one after another on loopback after ${options.warmup} warm-up requests; HTTP latency is the client's, so HTTP, auth, SQL and JSON are all in it; "query" is the built \`ChangesService.list\` on one PostgreSQL connection (statement, round trip and mapping to changes), as many times; EXPLAIN ANALYZE is PostgreSQL's own execution time of the last statement. Default page size 50. The machine's load average shows how much of the tail is other processes' CPU.

${table}
`;
  console.log(text);
  if (options.readme) writeSection(text);
}

main()
  .catch((error) => {
    console.error(error);
    process.exitCode = 1;
  })
  .finally(() => cleanup());
