// `npm run bench:proxy-workers`: flat-out throughput of the Switchyard proxy with `--workers 1`
// (one process, as before) against `--workers N` (node:cluster; default N = 2), mirroring off and
// 100%, on loopback with autocannon against the same upstream process as `npm run bench:proxy`
// (bench/proxy/upstream.mjs). Every run is bounded: a 2 s warm-up, then 10 s flat out with 50
// connections; scenarios are interleaved over --rounds (default 3) and each figure is the median
// of its rounds with the range beside it. Prints a table; writes it under `## proxy: workers` in
// bench/README.md unless --no-readme. Options: --duration s, --connections n, --warmup s,
// --rounds n, --workers n, --no-readme.
import autocannon from 'autocannon';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureProxyBuilt, freePort, PROXY_ENTRY, startHelper, stopChild, waitFor } from './harness.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
process.chdir(root);

const options = { duration: 10, connections: 50, warmup: 2, rounds: 3, workers: 2, readme: true };
for (let i = 2; i < process.argv.length; i++) {
  const arg = process.argv[i];
  if (arg === '--no-readme') options.readme = false;
  else if (arg === '--duration') options.duration = Number(process.argv[++i]);
  else if (arg === '--connections') options.connections = Number(process.argv[++i]);
  else if (arg === '--warmup') options.warmup = Number(process.argv[++i]);
  else if (arg === '--rounds') options.rounds = Number(process.argv[++i]);
  else if (arg === '--workers') options.workers = Number(process.argv[++i]);
  else throw new Error(`unknown argument ${arg}`);
}

const entry = PROXY_ENTRY;
const work = mkdtempSync(join(os.tmpdir(), 'switchyard-bench-workers-'));

ensureProxyBuilt(entry);

async function startUpstream() {
  const { info: urls, stop } = await startHelper(['bench/proxy/upstream.mjs'], 15_000);
  return { urls, stop };
}

async function startSwitchyard(route, workers) {
  const [port, adminPort] = [await freePort(), await freePort()];
  const config = join(work, `routes-${port}.yml`);
  writeFileSync(config, `- ${JSON.stringify(route)}\n`);
  const args = ['--config', config, '--port', String(port), '--admin-port', String(adminPort), '--host', '127.0.0.1', '--log-level', 'error'];
  const child = spawn(process.execPath, [entry, ...args, '--workers', String(workers)], { stdio: ['ignore', 'inherit', 'inherit'] });
  const adminUrl = `http://127.0.0.1:${adminPort}`;
  await waitFor(
    async () => {
      if ((await fetch(`${adminUrl}/readyz`)).status !== 200) return false;
      if (workers === 1) return true;
      // Every worker serving, not just the first: otherwise the first seconds measure fewer.
      const body = await (await fetch(`${adminUrl}/workers`)).json();
      return body.workers.every((worker) => worker.ready);
    },
    60_000,
    'switchyard proxy',
  );
  return { url: `http://127.0.0.1:${port}`, adminUrl, stop: () => stopChild(child) };
}

async function load(url, duration) {
  const result = await autocannon({ url: `${url}/quotes/ABC`, connections: options.connections, duration, headers: { accept: 'application/json' } });
  return { rps: result['2xx'] / result.duration, errors: result.errors + result.timeouts + result.non2xx };
}

/** The route's totals from the admin port (merged over the workers with --workers > 1). */
async function mirrored(adminUrl) {
  const { totals } = (await (await fetch(`${adminUrl}/reports?route=bench`)).json()).routes[0];
  return { sampled: totals.sampled, compared: totals.compared };
}

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
};

const upstream = await startUpstream();
const route = (percent) => ({ name: 'bench', primary: upstream.urls.primary, candidate: upstream.urls.candidate, sample: { percent } });
const scenarios = [];
for (const percent of [0, 100]) {
  for (const workers of [1, options.workers]) {
    scenarios.push({ label: `mirroring ${percent ? '100%' : 'off'}, --workers ${workers}`, percent, workers, runs: [] });
  }
}
try {
  for (let round = 1; round <= options.rounds; round++) {
    for (const scenario of scenarios) {
      const proxy = await startSwitchyard(route(scenario.percent), scenario.workers);
      try {
        await load(proxy.url, options.warmup);
        const before = await mirrored(proxy.adminUrl);
        const run = await load(proxy.url, options.duration);
        const after = await mirrored(proxy.adminUrl);
        run.sampled = after.sampled - before.sampled;
        run.compared = after.compared - before.compared;
        scenario.runs.push(run);
        console.error(
          `round ${round}: ${scenario.label}: ${Math.round(run.rps)} req/s, compared ${run.compared} of ${run.sampled} sampled, ${run.errors} errors`,
        );
      } finally {
        await proxy.stop();
      }
    }
  }
} finally {
  await upstream.stop();
  rmSync(work, { recursive: true, force: true });
}

const cpu = os.cpus()[0]?.model.trim() ?? 'unknown CPU';
const rows = scenarios.map((scenario) => {
  const rps = scenario.runs.map((run) => run.rps);
  return {
    label: scenario.label,
    rps: median(rps),
    min: Math.min(...rps),
    max: Math.max(...rps),
    errors: scenario.runs.reduce((sum, run) => sum + run.errors, 0),
    compared: median(scenario.runs.map((run) => (run.sampled ? run.compared / run.sampled : 0))),
    percent: scenario.percent,
    workers: scenario.workers,
  };
});
const ratio = (percent) => {
  const one = rows.find((row) => row.percent === percent && row.workers === 1);
  const many = rows.find((row) => row.percent === percent && row.workers === options.workers);
  return `${(many.rps / one.rps).toFixed(2)}×`;
};
const lines = [
  `\`npm run bench:proxy-workers\` — ${new Date().toISOString().slice(0, 10)}, ${os.availableParallelism()} cores (${cpu}), Node ${process.version}, load average ${os.loadavg()[0].toFixed(1)} at the end; autocannon with ${options.connections} connections on loopback, flat out for ${options.duration} s after a ${options.warmup} s warm-up, ${options.rounds} interleaved rounds (median, range over rounds, errors summed).`,
  '',
  '| run | flat out req/s (range over rounds) | sampled requests compared (median) | errors |',
  '|---|---:|---:|---:|',
  ...rows.map(
    (row) =>
      `| ${row.label} | ${Math.round(row.rps)} (${Math.round(row.min)}–${Math.round(row.max)}) | ${row.percent ? `${(row.compared * 100).toFixed(1)}%` : '–'} | ${row.errors} |`,
  ),
  '',
  `--workers ${options.workers} against --workers 1: ${ratio(0)} with mirroring off, ${ratio(100)} with mirroring 100%.`,
];
const table = lines.join('\n');
console.log(table);

if (options.readme) {
  const readme = readFileSync('bench/README.md', 'utf8');
  const section = `## proxy: workers\n\n${table}\n`;
  const start = readme.indexOf('## proxy: workers\n');
  let next;
  if (start >= 0) {
    const end = readme.indexOf('\n## ', start + 1);
    next = readme.slice(0, start) + section + (end >= 0 ? readme.slice(end) : '');
  } else {
    // After the other proxy sections, before the next benchmark's.
    const after = readme.indexOf('\n## feature store');
    next = after >= 0 ? `${readme.slice(0, after + 1)}${section}\n${readme.slice(after + 1)}` : `${readme.trimEnd()}\n\n${section}`;
  }
  writeFileSync('bench/README.md', next);
}
