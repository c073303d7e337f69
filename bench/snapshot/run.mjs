// `npm run bench:snapshot`: the SDK snapshot `GET /sdk/v1/snapshot` of the built server (one
// replica, real PostgreSQL and a private Redis, 100 seeded flags), autocannon with 50 connections
// for 10 s each after a 2 s warm-up: the full body (identity and gzip), and the conditional request
// with the current ETag in If-None-Match (304). Compared with Unleash 8 measured on this machine:
// full client features body 872 req/s; its ETag 304 path 2,683 req/s.
//
// Options: --duration s, --connections n, --warmup s, --no-readme, --build, --profile.
import {
  api,
  cleanup,
  ensureBuilt,
  ENVIRONMENT,
  load,
  loadAverage,
  machine,
  ms,
  newDeployment,
  parseOptions,
  seedFlags,
  serverNodeArgs,
  startServer,
  writeReadme,
} from '../feature-store/harness.mjs';

const UNLEASH_FEATURES = { rps: 872, label: 'client features, full body' };
const UNLEASH_304 = { rps: 2683, label: 'client features, ETag 304' };
const options = parseOptions(process.argv);

async function main() {
  ensureBuilt(options.build);
  const deployment = await newDeployment();
  const server = await startServer(deployment, serverNodeArgs(options, 'snapshot'));
  await seedFlags(server, deployment.adminToken, 100);
  const { secret } = await api(server, deployment.adminToken, 'POST', '/api/v1/tokens', { name: 'bench-snapshot', scopes: [`sdk:${ENVIRONMENT}`] });
  const auth = { authorization: `Bearer ${secret}` };

  const first = await fetch(`${server.url}/sdk/v1/snapshot`, { headers: { ...auth, 'accept-encoding': 'identity' } });
  const body = await first.text();
  const etag = first.headers.get('etag');
  if (first.status !== 200 || Object.keys(JSON.parse(body).flags).length !== 100 || !etag)
    throw new Error(`unexpected snapshot: ${first.status} ${body.slice(0, 200)}`);
  const gzipped = await fetch(`${server.url}/sdk/v1/snapshot`, { headers: { ...auth, 'accept-encoding': 'gzip' } });
  // fetch inflates the body, so the compressed size is the header's.
  const gzipBytes = Number(gzipped.headers.get('content-length'));
  await gzipped.arrayBuffer();
  if (gzipped.headers.get('content-encoding') !== 'gzip') throw new Error('the snapshot was not gzipped');
  const conditional = await fetch(`${server.url}/sdk/v1/snapshot`, { headers: { ...auth, 'if-none-match': etag } });
  if (conditional.status !== 304) throw new Error(`expected 304 for If-None-Match, got ${conditional.status}`);

  const next = () => ({ path: '/sdk/v1/snapshot' });
  const common = { url: server.url, connections: options.connections, duration: options.duration, warmup: options.warmup, next };
  const runs = [];
  console.error(`bench: snapshot full body, ${options.connections} connections, ${options.duration} s`);
  runs.push({
    name: `full body, identity (${(body.length / 1024).toFixed(1)} kB)`,
    unleash: UNLEASH_FEATURES,
    expect: 200,
    ...(await load({ ...common, headers: { ...auth, 'accept-encoding': 'identity' } })),
  });
  console.error(`bench: snapshot full body gzip, ${options.connections} connections, ${options.duration} s`);
  runs.push({
    name: `full body, gzip (${(gzipBytes / 1024).toFixed(1)} kB on the wire)`,
    unleash: UNLEASH_FEATURES,
    expect: 200,
    ...(await load({ ...common, headers: { ...auth, 'accept-encoding': 'gzip' } })),
  });
  console.error(`bench: snapshot If-None-Match, ${options.connections} connections, ${options.duration} s`);
  runs.push({
    name: 'If-None-Match: current ETag → 304',
    unleash: UNLEASH_304,
    expect: 304,
    ...(await load({ ...common, headers: { ...auth, 'if-none-match': etag } })),
  });
  const load1 = loadAverage();
  await server.stop();

  const lines = [
    `\`npm run bench:snapshot\` — ${new Date().toISOString().slice(0, 10)}, ${machine()}, load average ${load1} at the end. \`GET /sdk/v1/snapshot\` with an \`sdk:${ENVIRONMENT}\` token on one server replica (built \`dist/\`, PostgreSQL, private Redis) holding 100 flags and 2 segments; autocannon in the benchmark process, ${options.connections} connections, ${options.duration} s flat out after a ${options.warmup} s warm-up, on loopback, sharing the 2 cores with the server. Percentiles from every response's own timing.`,
    '',
    '| request | req/s | p50 ms | p99 ms | max ms | errors / unexpected status | Unleash 8 (same machine) | ratio | target ≥5×, p99 < 30 ms |',
    '|---|---:|---:|---:|---:|---:|---|---:|---|',
  ];
  for (const run of runs) {
    const unexpected = Object.entries(run.statuses)
      .filter(([status]) => Number(status) !== run.expect)
      .reduce((n, [, count]) => n + count, 0);
    const ratio = run.rps / run.unleash.rps;
    const met = ratio >= 5 && run.p99 < 30;
    lines.push(
      `| ${run.name} | ${run.rps.toFixed(0)} | ${ms(run.p50)} | ${ms(run.p99)} | ${ms(run.max, 1)} | ${run.errors} / ${unexpected} | ${run.unleash.label}: ${run.unleash.rps} req/s | ${ratio.toFixed(1)}× | ${met ? 'met' : 'missed'} |`,
    );
  }
  const text = lines.join('\n');
  process.stdout.write(`\n${text}\n`);
  if (options.readme) writeReadme('snapshot (`npm run bench:snapshot`)', text);
}

main()
  .catch((error) => {
    console.error(error);
    process.exitCode = 1;
  })
  .finally(() => cleanup());
