// `npm run bench:proxy`: load on loopback with autocannon against, in turn, the upstream direct,
// plain http-proxy with keep-alive, the Switchyard proxy mirroring off / 10% / 100%, the
// Switchyard proxy mirroring 100% to a candidate that never answers, and nginx (plain and with
// its `mirror` directive) when `nginx` is installed. Every run is bounded (default 10 s, 50
// connections, after a 2 s warm-up): once flat out with autocannon (throughput), and once at a
// steady rate that every target sustains (latency at equal load; autocannon's own rate limit
// sends each second's quota in a burst, so this pass uses a small open-loop sender). Prints tables and writes them under `## proxy`
// in bench/README.md. Options: --duration s, --connections n, --warmup s, --rate req/s,
// --rounds n (every scenario n times, interleaved; figures are medians), --hang-duration s (the hanging-candidate runs; the issue's RSS target is stated after 60 s),
// --only a,b, --no-readme, --section title (write under `## title` instead; e.g. the 60 s
// hanging-candidate run: --only off,hang,hang-budget --hang-duration 60 --section "proxy: hanging candidate, 60 s").
//
// Latency percentiles come from every response's own timing (autocannon's 'response' event), not
// from autocannon's histogram, which floors to whole milliseconds.
import autocannon from 'autocannon';
import { spawnSync } from 'node:child_process';
import http from 'node:http';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureProxyBuilt, PROXY_ENTRY, startHelper, startNginx, startSwitchyard } from './harness.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
process.chdir(root);

const options = { duration: 10, connections: 50, warmup: 2, rate: 1000, rounds: 1, hangDuration: undefined, only: undefined, readme: true, section: 'proxy' };
for (let i = 2; i < process.argv.length; i++) {
  const arg = process.argv[i];
  if (arg === '--no-readme') options.readme = false;
  else if (arg === '--duration') options.duration = Number(process.argv[++i]);
  else if (arg === '--connections') options.connections = Number(process.argv[++i]);
  else if (arg === '--warmup') options.warmup = Number(process.argv[++i]);
  else if (arg === '--rate') options.rate = Number(process.argv[++i]);
  else if (arg === '--rounds') options.rounds = Number(process.argv[++i]);
  else if (arg === '--hang-duration') options.hangDuration = Number(process.argv[++i]);
  else if (arg === '--only') options.only = process.argv[++i].split(',');
  else if (arg === '--section') options.section = process.argv[++i];
  else throw new Error(`unknown argument ${arg}`);
}

const entry = PROXY_ENTRY;
const work = mkdtempSync(join(os.tmpdir(), 'switchyard-bench-'));

function percentile(sorted, p) {
  return sorted.length === 0 ? NaN : sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)];
}

/** Open loop: one request every 1/rate s whatever the answers do, each timed from its own send. */
async function steady(url, duration, rate) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: options.connections });
  const latencies = [];
  let errors = 0;
  const pending = new Set();
  const started = performance.now();
  const total = Math.round(duration * rate);
  for (let i = 0; i < total; i++) {
    const due = started + (i * 1000) / rate;
    const wait = due - performance.now();
    if (wait >= 1) await new Promise((done) => setTimeout(done, wait));
    const sent = performance.now();
    const request = new Promise((done) => {
      // A target that cannot keep up must not stretch the run: unanswered after 5 s is an error.
      const timer = setTimeout(() => req.destroy(new Error('timeout')), 5000);
      const req = http.get(`${url}/quotes/ABC`, { agent, headers: { accept: 'application/json' } }, (res) => {
        res.resume();
        res.on('end', () => {
          clearTimeout(timer);
          if (res.statusCode < 300) latencies.push(performance.now() - sent);
          else errors++;
          done();
        });
      });
      req.on('error', () => {
        clearTimeout(timer);
        errors++;
        done();
      });
    });
    pending.add(request);
    void request.then(() => pending.delete(request));
  }
  await Promise.all(pending);
  agent.destroy();
  latencies.sort((a, b) => a - b);
  return { p50: percentile(latencies, 50), p99: percentile(latencies, 99), errors };
}

async function load(url, duration) {
  const latencies = [];
  const instance = autocannon({ url: `${url}/quotes/ABC`, connections: options.connections, duration, headers: { accept: 'application/json' } });
  instance.on('response', (_client, status, _bytes, ms) => {
    if (status < 300) latencies.push(ms);
  });
  const result = await instance;
  latencies.sort((a, b) => a - b);
  return {
    rps: result['2xx'] / result.duration,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    errors: result.errors + result.timeouts + result.non2xx,
  };
}

function rssMb(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)[1]) / 1024;
}

async function mirrorTotals(adminUrl) {
  const report = await (await fetch(`${adminUrl}/reports`)).json();
  const { totals, breaker } = report.routes[0];
  return { sampled: totals.sampled, compared: totals.compared, skipped: { ...totals.skipped }, breaker };
}

/** What the mirror did between two readings of its totals. */
function mirrorPhase(before, after) {
  const start = before ?? { sampled: 0, compared: 0, skipped: {} };
  const skipped = Object.entries(after.skipped)
    .map(([reason, n]) => [reason, n - (start.skipped[reason] ?? 0)])
    .filter(([, n]) => n > 0)
    .map(([reason, n]) => `${reason} ${n}`)
    .join(', ');
  const sampled = after.sampled - start.sampled;
  const compared = after.compared - start.compared;
  const share = sampled > 0 ? ` (${((compared / sampled) * 100).toFixed(0)}%)` : '';
  return `sampled ${sampled}, compared ${compared}${share}${skipped ? `, skipped: ${skipped}` : ''}`;
}

const median = (values) => {
  const sorted = values.filter(Number.isFinite).sort((a, b) => a - b);
  return sorted.length === 0 ? NaN : sorted[Math.floor((sorted.length - 1) / 2)];
};

/** One row per scenario: the median of each figure over its rounds; counters and RSS from the last round. */
function medianRow(runs) {
  const last = runs.at(-1);
  return {
    ...last,
    rps: median(runs.map((run) => run.rps)),
    rpsRange: [Math.min(...runs.map((run) => run.rps)), Math.max(...runs.map((run) => run.rps))],
    p50: median(runs.map((run) => run.p50)),
    p99: median(runs.map((run) => run.p99)),
    errors: runs.reduce((sum, run) => sum + run.errors, 0),
    fixed: {
      p50: median(runs.map((run) => run.fixed.p50)),
      p99: median(runs.map((run) => run.fixed.p99)),
      errors: runs.reduce((sum, run) => sum + run.fixed.errors, 0),
    },
  };
}

const fmt = (n, digits = 2) => (Number.isFinite(n) ? n.toFixed(digits) : '–');

async function main() {
  ensureProxyBuilt(entry);
  const upstream = await startHelper(['bench/proxy/upstream.mjs']);
  const urls = upstream.info;
  const route = (overrides) => ({ name: 'bench', primary: urls.primary, candidate: urls.candidate, sample: { percent: 0 }, ...overrides });
  const hasNginx = spawnSync('sh', ['-c', 'command -v nginx']).status === 0;

  const scenarios = [
    { name: 'direct', label: 'direct to the upstream', start: async () => ({ url: urls.primary, stop: async () => undefined }) },
    {
      name: 'http-proxy',
      label: 'plain http-proxy, keep-alive',
      start: async () => {
        const helper = await startHelper(['bench/proxy/plain-proxy.mjs', urls.primary]);
        return { url: helper.info.url, pid: helper.child.pid, stop: helper.stop };
      },
    },
    { name: 'off', label: 'Switchyard, mirroring off', switchyard: route({ sample: { percent: 0 } }) },
    { name: '10', label: 'Switchyard, mirroring 10%', switchyard: route({ sample: { percent: 10 } }) },
    { name: '100', label: 'Switchyard, mirroring 100%', switchyard: route({ sample: { percent: 100 } }) },
    {
      name: '100-unshed',
      label: 'Switchyard, mirroring 100%, load shedding off (--max-event-loop-utilization 1)',
      switchyard: route({ sample: { percent: 100 } }),
      args: ['--max-event-loop-utilization', '1'],
    },
    {
      name: '100-stamped',
      label: 'Switchyard, mirroring 100%, responses with their own timestamp and request id (parsed and diffed, both ignored)',
      switchyard: route({
        primary: urls.stampedPrimary,
        candidate: urls.stampedCandidate,
        sample: { percent: 100 },
        compare: { ignore: ['$.timestamp', '$.requestId'] },
      }),
    },
    { name: 'hang', label: 'Switchyard, 100% to a hanging candidate', switchyard: route({ candidate: urls.hang, sample: { percent: 100 } }) },
    {
      name: 'hang-budget',
      label: 'Switchyard, 100% to a hanging candidate, breaker held off (maxInFlight bounds it)',
      switchyard: route({ candidate: urls.hang, sample: { percent: 100 }, breaker: { minRequests: 10000 } }),
    },
  ];
  if (hasNginx) {
    scenarios.push(
      { name: 'nginx', label: 'nginx proxy_pass, keep-alive (1 worker)', start: () => startNginx(work, urls, undefined) },
      { name: 'nginx-mirror', label: 'nginx `mirror` 100% (1 worker)', start: () => startNginx(work, urls, urls.candidate) },
      { name: 'nginx-mirror-hang', label: 'nginx `mirror` 100% to a hanging candidate (1 worker)', start: () => startNginx(work, urls, urls.hang) },
    );
  }

  // With --rounds n every scenario runs n times, interleaved (all scenarios, then all again), and
  // each figure is the median of its rounds: drift in what else the machine is doing then lands
  // on every scenario alike instead of on whichever ran at the wrong moment.
  const selected = scenarios.filter((scenario) => !options.only || options.only.includes(scenario.name));
  const rounds = new Map(selected.map((scenario) => [scenario.name, []]));
  for (let round = 1; round <= options.rounds; round++) {
    for (const scenario of selected) {
      const target = scenario.switchyard ? await startSwitchyard(work, scenario.switchyard, { extraArgs: scenario.args, main: entry }) : await scenario.start();
      const duration = scenario.name.includes('hang') ? (options.hangDuration ?? options.duration) : options.duration;
      if (options.warmup > 0) await load(target.url, options.warmup);
      const beforeLoad = target.adminUrl && (await mirrorTotals(target.adminUrl));
      const result = await load(target.url, duration);
      const afterLoad = target.adminUrl && (await mirrorTotals(target.adminUrl));
      const fixed = await steady(target.url, duration, options.rate);
      const row = { ...scenario, ...result, fixed, duration, rss: target.pid ? rssMb(target.pid) : undefined };
      if (target.adminUrl) {
        const end = await mirrorTotals(target.adminUrl);
        row.note =
          `flat out: ${mirrorPhase(beforeLoad, afterLoad)}; at ${options.rate} req/s: ${mirrorPhase(afterLoad, end)}; ` +
          `breaker ${end.breaker.state} (opened ${end.breaker.opens}×)`;
      }
      rounds.get(scenario.name).push(row);
      console.error(
        `bench: ${options.rounds > 1 ? `[round ${round}] ` : ''}${scenario.label}: ${fmt(row.rps, 0)} req/s, p50 ${fmt(row.p50)} ms, p99 ${fmt(row.p99)} ms, errors ${row.errors}; ` +
          `at ${options.rate} req/s: p50 ${fmt(fixed.p50)} ms, p99 ${fmt(fixed.p99)} ms, errors ${fixed.errors}${row.rss ? `; RSS ${fmt(row.rss, 0)} MB` : ''}`,
      );
      await target.stop();
    }
  }
  const rows = selected.map((scenario) => medianRow(rounds.get(scenario.name)));
  await upstream.stop();
  rmSync(work, { recursive: true, force: true });

  const cpu = os.cpus();
  const byName = Object.fromEntries(rows.map((row) => [row.name, row]));
  const lines = [
    `## ${options.section}`,
    '',
    `\`npm run bench:proxy\` — ${new Date().toISOString().slice(0, 10)}, ${cpu.length} cores (${cpu[0]?.model.trim() ?? 'unknown CPU'}), Node ${process.version}, load average ${os.loadavg()[0].toFixed(1)} at the end, ` +
      `autocannon with ${options.connections} connections on loopback, each target run flat out for ${options.duration} s after a ${options.warmup} s warm-up` +
      `${options.rounds > 1 ? `, ${options.rounds} interleaved rounds (each figure is the median of its rounds, errors their sum)` : ''}` +
      `${options.hangDuration ? ` (${options.hangDuration} s for the hanging candidate)` : ''}, then for as long again at a steady ${options.rate} req/s (open loop, up to ${options.connections} sockets). ` +
      'The load generator, the proxy and the upstream process (primary and candidate in one) share the same cores, ' +
      'so the flat-out overheads include CPU contention that separate machines would not have; the fixed-rate columns compare latency at equal load. ' +
      "Percentiles are from every response's own timing.",
    '',
    `| run | flat out req/s${options.rounds > 1 ? ' (range over rounds)' : ''} | p50 ms | p99 ms | at ${options.rate} req/s: p50 ms | p99 ms | errors | proxy RSS after |`,
    '|---|---:|---:|---:|---:|---:|---:|---:|',
    ...rows.map(
      (row) =>
        `| ${row.label} | ${fmt(row.rps, 0)}${options.rounds > 1 ? ` (${fmt(row.rpsRange[0], 0)}–${fmt(row.rpsRange[1], 0)})` : ''} | ${fmt(row.p50)} | ${fmt(row.p99)} | ${fmt(row.fixed.p50)} | ${fmt(row.fixed.p99)} | ${row.errors + row.fixed.errors} | ${row.rss ? `${fmt(row.rss, 0)} MB` : '–'} |`,
    ),
    '',
  ];
  const plain = byName['http-proxy'];
  for (const full of [byName['100'], byName['100-unshed'], byName['100-stamped']]) {
    if (plain && full) {
      lines.push(
        `${full.label}: throughput ${fmt((full.rps / plain.rps) * 100, 0)}% of plain http-proxy (target ≥ 80%); ` +
          `p99 at ${options.rate} req/s ${fmt(full.fixed.p99 - plain.fixed.p99)} ms above it (target ≤ 1 ms), flat out ${fmt(full.p99 - plain.p99)} ms.`,
      );
    }
  }
  const off = byName.off;
  for (const hang of [byName.hang, byName['hang-budget']]) {
    if (hang && off) {
      lines.push(
        `${hang.label}: primary p99 at ${options.rate} req/s ${fmt(hang.fixed.p99 - off.fixed.p99)} ms vs mirroring off (target within 1 ms); proxy RSS ${fmt(hang.rss, 0)} MB after ${2 * hang.duration} s of load (target < 256 MB after 60 s).`,
      );
    }
  }
  const notes = rows.filter((row) => row.note).map((row) => `- ${row.label}: ${row.note}`);
  if (notes.length > 0) lines.push('', 'What each Switchyard run mirrored (last round; the warm-up is left out):', '', ...notes);
  if (!hasNginx) lines.push('', 'nginx is not installed (`apt-get install nginx`), so its rows are missing.');
  const section = `${lines.join('\n')}\n`;
  process.stdout.write(`\n${section}`);

  // A partial run only replaces the full table when it names a section of its own.
  if (options.readme && (!options.only || options.section !== 'proxy')) {
    const readme = 'bench/README.md';
    const current = existsSync(readme) ? readFileSync(readme, 'utf8') : '# Benchmarks\n\nOne command per benchmark; the latest figures are kept here.\n\n';
    const escaped = options.section.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    const start = current.search(new RegExp(`^## ${escaped}\\s*$`, 'm'));
    let next = start < 0 ? -1 : current.slice(start + 1).search(/^## /m);
    if (next >= 0) next += start + 1;
    const updated = start < 0 ? `${current.trimEnd()}\n\n${section}` : `${current.slice(0, start)}${section}${next >= 0 ? `\n${current.slice(next)}` : ''}`;
    writeFileSync(readme, updated);
    console.error(`bench: wrote ${readme}`);
  }
}

main().catch((error) => {
  console.error(error);
  rmSync(work, { recursive: true, force: true });
  process.exit(1);
});
