// `npm run bench:proxy-cpu`: the proxy process's CPU time per request at a fixed request rate
// (default 3,000 req/s) for plain http-proxy, the Switchyard proxy mirroring off and 100%, and
// nginx proxy_pass / nginx `mirror` when `nginx` is installed. Throughput flat out mixes in the
// load generator's and the upstream's CPU on a shared machine; CPU per request at equal load is
// what the proxy itself costs.
//
// Each target runs --rounds times (default 3), interleaved (every target, then every target
// again), each round a --warmup (default 3 s) then --duration (default 10 s) at --rate. The load
// is open loop: requests are due every 1/rate s whatever the answers do, sent on keep-alive
// sockets (a new one whenever none is free, up to --sockets) by a small raw-socket client, cheap
// enough that the generator does not become the bottleneck on a small machine. CPU is
// utime+stime from /proc/<pid>/stat of the target and its descendants (nginx's worker), read
// before the measured window and once its last answer is in and the mirror has settled.
//
// Options: --rate n, --duration s, --warmup s, --rounds n, --sockets n, --only a,b,
// --entry path (a built main.js to run as Switchyard instead of dist/apps/proxy/src/main.js,
// e.g. a build of an older commit; it is not rebuilt), --label text (appended to the Switchyard
// rows' names), --baseline-entry path and --baseline-label text (default "before"): also run the
// Switchyard rows with that build, interleaved with the others, so a change is measured against
// its baseline under the same conditions; --node-args "…" (for the Node proxies, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof"),
// --no-readme, --section title (default "proxy: CPU per request").
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureProxyBuilt, PROXY_ENTRY, startHelper, startNginx, startSwitchyard, waitFor } from './harness.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
process.chdir(root);

const options = {
  rate: 3000,
  duration: 10,
  warmup: 3,
  rounds: 3,
  sockets: 64,
  nodeArgs: [],
  only: undefined,
  entry: undefined,
  label: '',
  baselineEntry: undefined,
  baselineLabel: 'before',
  readme: true,
  section: 'proxy: CPU per request',
};
for (let i = 2; i < process.argv.length; i++) {
  const arg = process.argv[i];
  if (arg === '--no-readme') options.readme = false;
  else if (arg === '--rate') options.rate = Number(process.argv[++i]);
  else if (arg === '--duration') options.duration = Number(process.argv[++i]);
  else if (arg === '--warmup') options.warmup = Number(process.argv[++i]);
  else if (arg === '--rounds') options.rounds = Number(process.argv[++i]);
  else if (arg === '--sockets') options.sockets = Number(process.argv[++i]);
  else if (arg === '--only') options.only = process.argv[++i].split(',');
  else if (arg === '--entry') options.entry = resolve(process.argv[++i]);
  else if (arg === '--label') options.label = process.argv[++i];
  else if (arg === '--baseline-entry') options.baselineEntry = resolve(process.argv[++i]);
  else if (arg === '--baseline-label') options.baselineLabel = process.argv[++i];
  else if (arg === '--node-args') options.nodeArgs = process.argv[++i].split(' ').filter(Boolean);
  else if (arg === '--section') options.section = process.argv[++i];
  else throw new Error(`unknown argument ${arg}`);
}

const entry = options.entry ?? PROXY_ENTRY;
const work = mkdtempSync(join(os.tmpdir(), 'switchyard-bench-cpu-'));
const ticksPerSecond = Number(spawnSync('getconf', ['CLK_TCK']).stdout?.toString().trim()) || 100;

/** utime+stime in seconds of a process and every live descendant (nginx's worker is the master's child). */
function cpuSeconds(pid) {
  const children = new Map();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const parent = Number(fields[1]);
      if (!children.has(parent)) children.set(parent, []);
      children.get(parent).push({ pid: Number(name), ticks: Number(fields[11]) + Number(fields[12]) });
    } catch {
      // The process ended between the listing and the read.
    }
  }
  const own = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const ownFields = own.slice(own.lastIndexOf(')') + 2).split(' ');
  let ticks = Number(ownFields[11]) + Number(ownFields[12]);
  const queue = [pid];
  while (queue.length > 0) {
    for (const child of children.get(queue.shift()) ?? []) {
      ticks += child.ticks;
      queue.push(child.pid);
    }
  }
  return ticks / ticksPerSecond;
}

/**
 * Open-loop load over raw keep-alive sockets: request i is due at start + i/rate. A socket carries
 * one request at a time; a due request takes an idle socket or opens another (up to --sockets;
 * past that it waits for one, which shows as a lower achieved rate). Answers are parsed just far
 * enough to find their end (content-length or chunked).
 */
async function openLoop(port, duration, rate) {
  const request = Buffer.from(`GET /quotes/ABC HTTP/1.1\r\nhost: 127.0.0.1:${port}\r\naccept: application/json\r\n\r\n`);
  const idle = [];
  const all = new Set();
  let opened = 0;
  let queued = 0;
  let ok = 0;
  let errors = 0;
  let inFlight = 0;
  let lastAnswer = 0;
  let maxLagMs = 0;

  const finish = (status) => {
    inFlight--;
    lastAnswer = performance.now();
    if (status >= 200 && status < 300) ok++;
    else errors++;
  };

  function openSocket() {
    opened++;
    const socket = net.connect(port, '127.0.0.1');
    socket.setNoDelay(true);
    all.add(socket);
    let buffer = Buffer.alloc(0);
    let busy = false;
    const send = () => {
      busy = true;
      socket.write(request);
    };
    socket.sendNext = send;
    socket.on('connect', () => {
      if (queued > 0) {
        queued--;
        send();
      } else idle.push(socket);
    });
    socket.on('data', (chunk) => {
      buffer = buffer.length === 0 ? chunk : Buffer.concat([buffer, chunk]);
      for (;;) {
        const end = buffer.indexOf('\r\n\r\n');
        if (end < 0) return;
        const head = buffer.toString('latin1', 0, end);
        const status = Number(head.slice(9, 12));
        const length = /\r\ncontent-length:\s*(\d+)/i.exec(head);
        let total;
        if (length) total = end + 4 + Number(length[1]);
        else if (/\r\ntransfer-encoding:\s*chunked/i.test(head)) {
          const last = buffer.indexOf('\r\n0\r\n\r\n', end);
          if (last < 0) return;
          total = last + 7;
        } else total = end + 4;
        if (buffer.length < total) return;
        buffer = buffer.subarray(total);
        busy = false;
        finish(status);
        // nginx closes a client connection after `keepalive_requests` (1000) answers and says so:
        // a request sent on it then would fail. Open another socket for what is queued instead.
        if (/\r\nconnection:\s*close/i.test(head)) {
          lost();
          socket.destroy();
          if (queued > 0 && all.size < options.sockets) openSocket();
          return;
        }
        if (queued > 0) {
          queued--;
          send();
        } else idle.push(socket);
      }
    });
    const lost = () => {
      if (!all.delete(socket)) return;
      const at = idle.indexOf(socket);
      if (at >= 0) idle.splice(at, 1);
      if (busy) finish(0);
    };
    socket.on('error', lost);
    socket.on('close', lost);
  }

  const dispatch = () => {
    inFlight++;
    const socket = idle.pop();
    if (socket) socket.sendNext();
    else {
      queued++;
      if (all.size < options.sockets) openSocket();
    }
  };

  const total = Math.round(duration * rate);
  const started = performance.now();
  let sent = 0;
  await new Promise((done) => {
    const tick = () => {
      const now = performance.now();
      const due = Math.min(total, Math.floor(((now - started) * rate) / 1000) + 1);
      if (due - sent > 1) maxLagMs = Math.max(maxLagMs, ((due - sent - 1) * 1000) / rate);
      while (sent < due) {
        sent++;
        dispatch();
      }
      if (sent >= total) done();
      else setTimeout(tick, Math.max(0, started + (sent * 1000) / rate - performance.now()));
    };
    tick();
  });
  const sentAt = performance.now();
  // Whatever is still unanswered 5 s after the last send counts as an error.
  await waitFor(async () => inFlight === 0, 5000, 'answers').catch(() => {
    errors += inFlight;
    inFlight = 0;
  });
  for (const socket of all) socket.destroy();
  const elapsed = (Math.max(lastAnswer, sentAt) - started) / 1000;
  return { ok, errors, elapsed, rps: ok / elapsed, sendRps: total / ((sentAt - started) / 1000), sockets: opened, maxLagMs };
}

async function mirrorTotals(adminUrl) {
  const report = await (await fetch(`${adminUrl}/reports`)).json();
  const { totals } = report.routes[0];
  return {
    sampled: totals.sampled,
    compared: totals.compared,
    skipped: Object.values(totals.skipped ?? {}).reduce((a, b) => a + b, 0),
    reasons: totals.skipped ?? {},
  };
}

async function measure(target) {
  if (options.warmup > 0) await openLoop(target.port, options.warmup, options.rate);
  const mirrorBefore = target.adminUrl && (await mirrorTotals(target.adminUrl));
  const cpuBefore = cpuSeconds(target.pid);
  const load = await openLoop(target.port, options.duration, options.rate);
  // Let shadow calls still in flight finish, so their CPU lands in this window: bounded by 2 s.
  if (target.adminUrl) {
    let previous;
    await waitFor(
      async () => {
        const now = await mirrorTotals(target.adminUrl);
        const settled = previous && now.sampled === previous.sampled && now.compared + now.skipped >= now.sampled;
        previous = now;
        return settled;
      },
      2000,
      'mirror settled',
    ).catch(() => undefined);
  } else await new Promise((done) => setTimeout(done, 100));
  const cpu = cpuSeconds(target.pid) - cpuBefore;
  const row = { ...load, cpu, cpuPerRequestUs: (cpu / load.ok) * 1e6 };
  if (target.adminUrl) {
    const after = await mirrorTotals(target.adminUrl);
    const reasons = Object.entries(after.reasons)
      .map(([reason, n]) => [reason, n - (mirrorBefore.reasons[reason] ?? 0)])
      .filter(([, n]) => n > 0)
      .map(([reason, n]) => `${reason} ${n}`)
      .join(', ');
    row.mirror = {
      sampled: after.sampled - mirrorBefore.sampled,
      compared: after.compared - mirrorBefore.compared,
      skipped: after.skipped - mirrorBefore.skipped,
      reasons,
    };
  }
  return row;
}

const median = (values) => {
  const sorted = values.filter(Number.isFinite).sort((a, b) => a - b);
  return sorted.length === 0 ? NaN : sorted[Math.floor((sorted.length - 1) / 2)];
};
const fmt = (n, digits = 0) => (Number.isFinite(n) ? n.toFixed(digits) : '–');

async function main() {
  // Only the Switchyard rows need a build (plain http-proxy and nginx run as they are).
  // A given --entry is the caller's build; only the default one is kept up to date here.
  if (!options.entry && (!options.only || options.only.some((name) => name === 'off' || name === '100'))) ensureProxyBuilt(entry);
  const upstream = await startHelper(['bench/proxy/upstream.mjs']);
  const urls = upstream.info;
  const route = (percent) => ({ name: 'bench', primary: urls.primary, candidate: urls.candidate, sample: { percent } });
  const hasNginx = spawnSync('sh', ['-c', 'command -v nginx']).status === 0;
  const suffix = options.label ? ` (${options.label})` : '';
  const scenarios = [
    {
      name: 'http-proxy',
      label: 'plain http-proxy, keep-alive',
      start: async () => {
        const helper = await startHelper([...options.nodeArgs, 'bench/proxy/plain-proxy.mjs', urls.primary]);
        return { port: Number(new URL(helper.info.url).port), pid: helper.child.pid, stop: helper.stop };
      },
    },
    { name: 'off', label: `Switchyard, mirroring off${suffix}`, start: () => startSwitchyard(work, route(0), { main: entry, nodeArgs: options.nodeArgs }) },
    // Load shedding off: on a busy small machine the shedder would otherwise skip a varying share of
    // the copies, and the row would no longer say what 100% mirrored costs.
    {
      name: '100',
      label: `Switchyard, mirroring 100%, load shedding off${suffix}`,
      start: () => startSwitchyard(work, route(100), { extraArgs: ['--max-event-loop-utilization', '1'], main: entry, nodeArgs: options.nodeArgs }),
    },
  ];
  if (options.baselineEntry) {
    const main = options.baselineEntry;
    const tag = ` (${options.baselineLabel})`;
    // Right after plain http-proxy: the table then reads baseline, then this build.
    scenarios.splice(
      1,
      0,
      { name: 'off-baseline', label: `Switchyard, mirroring off${tag}`, start: () => startSwitchyard(work, route(0), { main, nodeArgs: options.nodeArgs }) },
      {
        name: '100-baseline',
        label: `Switchyard, mirroring 100%, load shedding off${tag}`,
        start: () => startSwitchyard(work, route(100), { extraArgs: ['--max-event-loop-utilization', '1'], main, nodeArgs: options.nodeArgs }),
      },
    );
  }
  if (hasNginx) {
    scenarios.push(
      { name: 'nginx', label: 'nginx proxy_pass, keep-alive (1 worker)', start: () => startNginx(work, urls, undefined) },
      { name: 'nginx-mirror', label: 'nginx `mirror` 100% (1 worker)', start: () => startNginx(work, urls, urls.candidate) },
    );
  }
  const selected = scenarios.filter((scenario) => !options.only || options.only.includes(scenario.name));
  const rounds = new Map(selected.map((scenario) => [scenario.name, []]));
  for (let round = 1; round <= options.rounds; round++) {
    for (const scenario of selected) {
      const target = await scenario.start();
      try {
        const row = await measure(target);
        rounds.get(scenario.name).push(row);
        console.error(
          `bench: [round ${round}] ${scenario.label}: ${fmt(row.rps)} req/s answered (sent at ${fmt(row.sendRps)}), ${row.errors} errors, ` +
            `CPU ${fmt(row.cpu, 2)} s = ${fmt(row.cpuPerRequestUs, 1)} µs/request, ${row.sockets} sockets, max send lag ${fmt(row.maxLagMs, 1)} ms` +
            `${row.mirror ? `; mirror: sampled ${row.mirror.sampled}, compared ${row.mirror.compared}, skipped ${row.mirror.skipped}${row.mirror.reasons ? ` (${row.mirror.reasons})` : ''}` : ''}`,
        );
      } finally {
        await target.stop();
      }
    }
  }
  await upstream.stop();
  rmSync(work, { recursive: true, force: true });

  // Ratios are taken round by round (each against plain http-proxy's figure of the same round), so
  // that drift in what else the machine does between rounds cancels out, then their median.
  const plainRuns = rounds.get('http-proxy');
  const rows = selected.map((scenario) => {
    const runs = rounds.get(scenario.name);
    const perRequest = runs.map((run) => run.cpuPerRequestUs);
    const ratios = plainRuns ? runs.map((run, i) => run.cpuPerRequestUs / plainRuns[i]?.cpuPerRequestUs) : [];
    return {
      ratio: median(ratios),
      ratioRange: [Math.min(...ratios), Math.max(...ratios)],
      ...scenario,
      rps: median(runs.map((run) => run.rps)),
      cpuPerRequestUs: median(perRequest),
      range: [Math.min(...perRequest), Math.max(...perRequest)],
      errors: runs.reduce((sum, run) => sum + run.errors, 0),
      mirror: runs.at(-1).mirror,
    };
  });
  const cpu = os.cpus();
  const lines = [
    `## ${options.section}`,
    '',
    `\`npm run bench:proxy-cpu\` — ${new Date().toISOString().slice(0, 10)}, ${cpu.length} cores (${cpu[0]?.model.trim() ?? 'unknown CPU'}), Node ${process.version}, ` +
      `load average ${os.loadavg()[0].toFixed(1)} at the end; each target at a steady ${options.rate} req/s (open loop on keep-alive sockets) for ${options.duration} s after a ${options.warmup} s warm-up, ` +
      `${options.rounds} interleaved rounds; proxy CPU is utime+stime of the proxy process (and its children) over the window, divided by the requests answered; ` +
      "figures are medians over the rounds (range in brackets), the ratio is each round's figure over plain http-proxy's in the same round. " +
      'Load generator, upstreams and proxy share the machine.',
    '',
    '| target | achieved req/s | proxy CPU µs per request | ratio to plain http-proxy (per round) | errors |',
    '|---|---:|---:|---:|---:|',
    ...rows.map(
      (row) =>
        `| ${row.label} | ${fmt(row.rps)} | ${fmt(row.cpuPerRequestUs, 1)} (${fmt(row.range[0], 1)}–${fmt(row.range[1], 1)}) | ${plainRuns ? `${fmt(row.ratio, 2)}× (${fmt(row.ratioRange[0], 2)}–${fmt(row.ratioRange[1], 2)})` : '–'} | ${row.errors} |`,
    ),
    '',
  ];
  const mirrored = rows.filter((row) => row.mirror && row.mirror.sampled > 0);
  if (mirrored.length > 0) {
    lines.push(
      ...mirrored.map(
        (row) =>
          `- ${row.label}, last round: sampled ${row.mirror.sampled}, compared ${row.mirror.compared}, skipped ${row.mirror.skipped}${row.mirror.reasons ? ` (${row.mirror.reasons})` : ''}.`,
      ),
      '',
    );
  }
  if (!hasNginx) lines.push('nginx is not installed (`apt-get install nginx-light`), so its rows are missing.', '');
  const section = lines.join('\n');
  process.stdout.write(`\n${section}\n`);

  if (options.readme) {
    const readme = 'bench/README.md';
    const current = readFileSync(readme, 'utf8');
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
