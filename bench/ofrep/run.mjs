// `npm run bench:ofrep`: OpenFeature Remote Evaluation against the built server (one replica, real
// PostgreSQL and a private Redis, 100 seeded flags), autocannon with 50 connections for 10 s each
// after a 2 s warm-up: bulk evaluation (every flag) for a rotating set of 1,000 contexts, then
// single-flag evaluation rotating contexts and flags. Compared with Unleash 8 measured on this
// machine: its frontend API (all flags evaluated for a context) 781 req/s, p99 153 ms.
//
// Options: --duration s, --connections n, --warmup s, --no-readme, --build (rebuild dist/ first),
// --profile (CPU profile of the server into bench/.profiles/).
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
  parseOptions,
  seedFlags,
  serverNodeArgs,
  startServer,
  writeReadme,
} from '../feature-store/harness.mjs';

const UNLEASH_FRONTEND = { rps: 781, p99: 153 };
const options = parseOptions(process.argv);

async function main() {
  ensureBuilt(options.build);
  const deployment = await newDeployment();
  const server = await startServer(deployment, serverNodeArgs(options, 'ofrep'));
  await seedFlags(server, deployment.adminToken, 100);
  const { secret } = await api(server, deployment.adminToken, 'POST', '/api/v1/tokens', { name: 'bench-ofrep', scopes: [`sdk:${ENVIRONMENT}`] });
  const headers = { authorization: `Bearer ${secret}`, 'content-type': 'application/json' };
  const bodies = contexts(1000).map((context) => JSON.stringify({ context }));
  const keys = Array.from({ length: 100 }, (_, i) => `bench.flag-${String(i).padStart(3, '0')}`);

  // The answers are real evaluations, not errors: check one of each before measuring.
  const bulk = await (await fetch(`${server.url}/ofrep/v1/evaluate/flags`, { method: 'POST', headers, body: bodies[3] })).json();
  if (bulk.flags?.length !== 100 || bulk.flags.some((f) => f.errorCode)) throw new Error(`unexpected bulk answer: ${JSON.stringify(bulk).slice(0, 300)}`);
  const single = await (await fetch(`${server.url}/ofrep/v1/evaluate/flags/${keys[4]}`, { method: 'POST', headers, body: bodies[5] })).json();
  if (single.value === undefined) throw new Error(`unexpected single answer: ${JSON.stringify(single)}`);
  const reasons = {};
  for (const flag of bulk.flags) reasons[flag.reason] = (reasons[flag.reason] ?? 0) + 1;

  let i = 0;
  const runs = [];
  console.error(`bench: OFREP bulk, ${options.connections} connections, ${options.duration} s`);
  runs.push({
    name: 'OFREP bulk `POST /ofrep/v1/evaluate/flags` (100 flags), 1,000 rotating contexts',
    reference: 'frontend API, all flags for a context',
    unleash: UNLEASH_FRONTEND,
    ...(await load({
      url: server.url,
      method: 'POST',
      headers,
      connections: options.connections,
      duration: options.duration,
      warmup: options.warmup,
      next: () => ({ path: '/ofrep/v1/evaluate/flags', body: bodies[i++ % bodies.length] }),
    })),
  });
  console.error(`bench: OFREP single flag, ${options.connections} connections, ${options.duration} s`);
  runs.push({
    name: 'OFREP single flag `POST /ofrep/v1/evaluate/flags/{key}`, rotating flags and contexts',
    reference: 'frontend API (Unleash has no single-flag endpoint)',
    unleash: UNLEASH_FRONTEND,
    ...(await load({
      url: server.url,
      method: 'POST',
      headers,
      connections: options.connections,
      duration: options.duration,
      warmup: options.warmup,
      next: () => {
        const n = i++;
        return { path: `/ofrep/v1/evaluate/flags/${keys[n % keys.length]}`, body: bodies[(n * 7) % bodies.length] };
      },
    })),
  });
  const load1 = loadAverage();
  await server.stop();

  const lines = [
    `\`npm run bench:ofrep\` — ${new Date().toISOString().slice(0, 10)}, ${machine()}, load average ${load1} at the end. One server replica (built \`dist/\`, PostgreSQL, private Redis) with 100 flags (rules over segments, string/number/semver/regex conditions, rollouts); autocannon in the benchmark process, ${options.connections} connections, ${options.duration} s flat out after a ${options.warmup} s warm-up, on loopback; the load generator shares the 2 cores with the server. Percentiles from every response's own timing. Unleash 8 figures were measured on this machine earlier.`,
    '',
    '| endpoint | req/s | p50 ms | p99 ms | max ms | errors / non-2xx | Unleash 8 (same machine) | ratio | target ≥5×, p99 < 30 ms |',
    '|---|---:|---:|---:|---:|---:|---|---:|---|',
  ];
  for (const run of runs) {
    const bad = Object.entries(run.statuses)
      .filter(([status]) => Number(status) >= 300)
      .reduce((n, [, count]) => n + count, 0);
    const ratio = run.rps / run.unleash.rps;
    const met = ratio >= 5 && run.p99 < 30;
    lines.push(
      `| ${run.name} | ${run.rps.toFixed(0)} | ${ms(run.p50)} | ${ms(run.p99)} | ${ms(run.max, 1)} | ${run.errors} / ${bad} | ${run.reference}: ${run.unleash.rps} req/s, p99 ${run.unleash.p99} ms | ${ratio.toFixed(1)}× | ${met ? 'met' : 'missed'} |`,
    );
  }
  lines.push(
    '',
    `Reasons in one bulk answer: ${Object.entries(reasons)
      .map(([reason, n]) => `${reason} ${n}`)
      .join(', ')}.`,
  );
  const text = lines.join('\n');
  process.stdout.write(`\n${text}\n`);
  if (options.readme) writeReadme('OFREP (`npm run bench:ofrep`)', text);
}

main()
  .catch((error) => {
    console.error(error);
    process.exitCode = 1;
  })
  .finally(() => cleanup());
