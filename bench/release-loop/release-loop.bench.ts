import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { dropSchema, ensureSchema } from '@switchyard/persistence';
import type { ConnectedProxy } from '../../apps/proxy/src/connected-proxy';
import { ApiClient } from '../../test/support/api-client';
import { ensureServerBuild, ServerProcess } from '../../test/support/built-server';
import { freePort } from '../../test/support/free-port';
import { ServiceNetwork } from '../../test/support/kube-simulator/service-network';
import { FixtureExporter, PrivatePrometheus } from '../../test/support/prometheus';
import { requireTool } from '../../test/support/system-tool';
import { resolveRedisUrl, stopPrivateRedis } from '../../test/support/test-server';
import type { PrivateRegistry } from '../../test/e2e/deploy/private-registry';
import { send, startFixtures, type Fixtures } from '../../test/e2e/mirror/fixture-services';
import { ROUTE, startProductionProxy } from '../../test/e2e/rollout/dark-launch-fixture';
import {
  digest,
  manifestsFor,
  pipelineFor,
  publishRelease,
  registerPolicy,
  repositoryOf,
  startCluster,
  startRegistry,
  WebhookReceiver,
} from '../../test/e2e/rollout/rollout-fixture';

/**
 * `npm run bench:release-loop` — issue 14's benchmark: the wall time from publishing a good release
 * to its flag at 100 % in production, with every wait of the pipeline at its minimum, and the CPU
 * time the server spends on it. The server runs as its own process (the built server, as
 * `npm start` runs it), so its CPU time is read from /proc/<pid>/stat and nothing the benchmark
 * does in this process (proxy, cluster simulator, user traffic, polling) is counted. Everything
 * else is what the rollout tests use: the Kubernetes simulator whose pods are played by fixture
 * upstreams, a real connected proxy, a real Prometheus scraping a fixture exporter, a private
 * registry, the machine's PostgreSQL and Redis; loopback only.
 *
 * Options (environment): RELEASE_LOOP_ROUNDS (default 3), RELEASE_LOOP_NO_README=1 (print only).
 */

const ROUNDS = Math.max(1, Math.min(10, Number(process.env.RELEASE_LOOP_ROUNDS ?? 3)));
const WRITE_README = process.env.RELEASE_LOOP_NO_README !== '1';
const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const SERVICE = 'quotes';
const NAMESPACE = `${SERVICE}-prod`;
const HOST = `${SERVICE}.${NAMESPACE}.svc`;
const SAMPLING_FLAG = `mirror.${ROUTE}`;
const CONFIRM = { 'x-switchyard-confirm': 'production' };
/** The smallest duration the pipeline schema accepts (`^\d+(\.\d+)?(ms|s|m|h)$`, more than zero). */
const MINIMUM = '1ms';
/** How long the server's CPU is sampled, before each round, with only the steady traffic (proxy reports, users). */
const IDLE_MS = 3000;
/** Users through the proxy: a batch this size every USER_TICK_MS (≈100 req/s), never more than USER_MAX requests in all. */
const USER_BATCH = 5;
const USER_TICK_MS = 50;
const USER_MAX = 200_000;
/** A round that takes longer than this has hung: the bench fails instead of waiting on. */
const ROUND_LIMIT_MS = 120_000;
/** The guardrail and canary metric: the track's error rate over the last 5 s (Prometheus scrapes every second). */
const ERROR_RATE = (track: string) =>
  `sum(rate(http_requests_total{service="{{service}}",track="${track}",code=~"5.."}[5s])) / sum(rate(http_requests_total{service="{{service}}",track="${track}"}[5s]))`;

/** The webhook events that end a rollout. */
const ENDINGS = ['rollout.succeeded', 'rollout.failed', 'rollout.rolled-back', 'rollout.aborted'];

const ready = requireTool('prometheus', 'prometheus') && requireTool('docker-registry', 'docker-registry');

/** utime + stime of a process in milliseconds (/proc/<pid>/stat fields 14 and 15, in clock ticks of 1/100 s). */
function cpuMsOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name (field 2) may contain spaces; the fields after its closing parenthesis do not.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

/** The release under test: staging, then production with a dark launch, an approval, a canary with one analysis and a flag release. */
function loopPipeline(flag: string): Record<string, unknown> {
  const pipeline = pipelineFor(SERVICE) as { deploy: { environments: Array<Record<string, unknown>> } };
  pipeline.deploy.environments[1] = {
    ...pipeline.deploy.environments[1],
    // sample 100 %, so the first user request after sampling rises is compared; the timeout only bounds a failure.
    darkLaunch: { route: ROUTE, sample: '100%', minCompared: 1, maxMismatch: '0.1%', timeout: '30s' },
    canary: {
      replicas: 1,
      analysis: { interval: MINIMUM, iterations: 1, minSamples: 0, failureLimit: 0, metrics: [{ name: 'error-rate', query: ERROR_RATE('canary'), max: 0.01 }] },
    },
    release: {
      flags: [flag],
      steps: ['50%', '100%'],
      interval: MINIMUM,
      guardrails: { metrics: [{ name: 'error-rate', query: ERROR_RATE('stable'), max: 0.01 }] },
    },
  };
  return pipeline;
}

interface Round {
  wallMs: number;
  cpuMs: number;
  idleCpuMsPerS: number;
  /** Stage → wall milliseconds (from the rollout's own step timestamps, plus the calls made around them). */
  stages: Record<string, number>;
  compared: number;
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};
const ms = (value: number) => `${Math.round(value).toLocaleString('en-US')}`;
const spread = (values: number[]) => `${ms(median(values))} (${ms(Math.min(...values))}–${ms(Math.max(...values))})`;

(ready ? describe : describe.skip)('release loop benchmark', () => {
  const schema = `bench_${randomBytes(5).toString('hex')}`;
  const prefix = `bench:${randomBytes(5).toString('hex')}:`;
  const adminToken = `sy_bench_${randomBytes(18).toString('base64url')}`;
  const agent = new http.Agent({ keepAlive: true, maxSockets: 16 });
  let cluster: Awaited<ReturnType<typeof startCluster>> | undefined;
  let network: ServiceNetwork | undefined;
  let registry: PrivateRegistry | undefined;
  let fixtures: Fixtures<'live' | 'same'> | undefined;
  let hooks: WebhookReceiver | undefined;
  let exporter: FixtureExporter | undefined;
  let prometheus: PrivatePrometheus | undefined;
  let server: ServerProcess | undefined;
  let proxy: ConnectedProxy | undefined;
  let redisUrl: string | undefined;
  let users: ReturnType<typeof startUsers> | undefined;

  afterAll(async () => {
    await users?.stop();
    agent.destroy();
    await proxy?.close();
    await server?.kill('SIGTERM');
    await Promise.all([network?.close(), cluster?.dispose(), registry?.stop(), hooks?.stop(), fixtures?.close(), prometheus?.stop(), exporter?.stop()]);
    await dropSchema(DATABASE_URL, schema).catch(() => undefined);
    if (redisUrl) await deleteKeys(redisUrl, prefix);
    await stopPrivateRedis();
  }, 60_000);

  it(`takes ${ROUNDS} good releases from publish to 100 % of their flag`, async () => {
    const buildStarted = Date.now();
    ensureServerBuild();
    const buildMs = Date.now() - buildStarted;
    [cluster, registry, hooks, fixtures, exporter] = await Promise.all([
      startCluster(),
      startRegistry(),
      WebhookReceiver.start(),
      startFixtures({ live: 'primary', same: 'match' }),
      FixtureExporter.start(),
    ]);
    prometheus = await PrivatePrometheus.start([exporter.target]);
    network = new ServiceNetwork(cluster.sim);
    const image = (n: number) => `${repositoryOf(SERVICE)}@${digest(n)}`;
    // Release 1 is the live version; every measured release answers as it does (a good release).
    network.play(image(1), fixtures.urls.live);
    for (let n = 2; n <= ROUNDS + 1; n++) network.play(image(n), fixtures.urls.same);
    await network.addressOf(NAMESPACE, SERVICE);
    await network.addressOf(NAMESPACE, `${SERVICE}-shadow`);
    await network.addressOf(NAMESPACE, `${SERVICE}-canary`);

    await ensureSchema(DATABASE_URL, schema);
    redisUrl = await resolveRedisUrl('auto');
    server = new ServerProcess(await freePort(), {
      DATABASE_URL,
      DATABASE_SCHEMA: schema,
      ...(redisUrl ? { REDIS_URL: redisUrl } : {}),
      REDIS_PREFIX: prefix,
      SWITCHYARD_ADMIN_TOKEN: adminToken,
      KUBECONFIG: cluster.kubeconfig,
      PROMETHEUS_URL: prometheus.url,
      WEBHOOK_URLS: hooks.url,
    });
    await server.start();
    const pid = server.pid!;
    const admin = new ApiClient(server.url, adminToken);
    const ci = admin.withToken(await admin.token_('ci-jenkins', ['deploy']));
    const approver = admin.withToken(await admin.token_('release-manager', ['approve']));
    await registerPolicy(admin, SERVICE);
    const route = await admin.post('/api/v1/mirror/routes', {
      name: ROUTE,
      match: { host: HOST },
      primary: `http://${HOST}`,
      candidate: `http://${HOST}`,
      sample: { flag: SAMPLING_FLAG, bucketBy: 'header:x-user-id' },
      endpoints: ['/quotes/:symbol'],
      verdict: { minCompared: 1, maxMismatchPercent: 0.1 },
    });
    if (route.status !== 201) throw new Error(`mirror route: ${route.status} ${JSON.stringify(route.body)}`);
    // One flag per release, so each flag release starts from off.
    const flags = Array.from({ length: ROUNDS + 1 }, (_, i) => `${SERVICE}.new-pricing-${i}`);
    for (const key of flags) {
      const res = await admin.post(
        '/api/v1/flags',
        { key, type: 'boolean', environments: { production: { enabled: true, defaultServe: { variant: 'off' } } } },
        CONFIRM,
      );
      if (res.status !== 201) throw new Error(`flag ${key}: ${res.status} ${JSON.stringify(res.body)}`);
    }
    proxy = await startProductionProxy(server.url, await admin.token_('quotes-proxy', ['sdk:production', `mirror:report:${ROUTE}`]), network);
    exporter.setTraffic(SERVICE, 'stable', { rps: 200, errorRate: 0 });
    exporter.setTraffic(SERVICE, 'canary', { rps: 200, errorRate: 0 });
    await prometheus.waitForValue(`sum(rate(http_requests_total{service="${SERVICE}",track="canary"}[5s]))`, (v) => v > 100, 30_000);

    const releaseAndWait = async (n: number) => {
      const id = await publishRelease(ci, SERVICE, `main.${n}`, digest(n), loopPipeline(flags[n - 1]), manifestsFor(SERVICE));
      const published = Date.now();
      const started = await ci.post(`/api/v1/releases/${id}/rollout`, {});
      if (started.status !== 201) throw new Error(`rollout start: ${started.status} ${JSON.stringify(started.body)}`);
      const rolloutId = started.body.id as string;
      const gate = await hooks!.waitFor('the gate', (e) => e.rolloutId === rolloutId && ['gate.waiting', ...ENDINGS].includes(e.event), ROUND_LIMIT_MS);
      if (gate.event !== 'gate.waiting' || gate.detail?.gate !== 'approval')
        throw new Error(`release ${n} did not reach the approval gate: ${JSON.stringify(gate)}`);
      const approve = await approver.post(`/api/v1/releases/${id}/approve`, { comment: 'staging is green' });
      if (approve.status !== 200) throw new Error(`approve: ${approve.status} ${JSON.stringify(approve.body)}`);
      const approved = Date.now();
      const end = await hooks!.waitFor('the end', (e) => e.rolloutId === rolloutId && ENDINGS.includes(e.event), ROUND_LIMIT_MS);
      const ended = Date.now();
      return { id, published, approved, ended, end };
    };

    // Release 1 makes the version live: nothing to mirror or compare a canary with yet, so it is set-up, not measured.
    const first = await releaseAndWait(1);
    if (first.end.event !== 'rollout.succeeded') throw new Error(`set-up release: ${first.end.text}`);
    // From then on users call the service through the proxy all along, as in production (they are what the dark launch compares).
    users = startUsers(proxy);

    const rounds: Round[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      const n = r + 2;
      const idleFrom = cpuMsOf(pid);
      await new Promise((resolve) => setTimeout(resolve, IDLE_MS));
      const idleCpuMsPerS = ((cpuMsOf(pid) - idleFrom) / IDLE_MS) * 1000;

      const cpuBefore = cpuMsOf(pid);
      const t0 = Date.now();
      const run = await releaseAndWait(n);
      const cpuAfter = cpuMsOf(pid);
      if (run.end.event !== 'rollout.succeeded') throw new Error(`release ${n}: ${run.end.text}`);
      const rollout = (await admin.get(`/api/v1/releases/${run.id}/rollout`)).body;
      const finished = Date.parse(rollout.finishedAt);
      const flagStep = rollout.steps.find((s: any) => s.kind === 'flag-release');
      if (flagStep?.detail?.stepIndex !== 1 || flagStep.status !== 'succeeded')
        throw new Error(`release ${n}: the flag release did not reach 100 %: ${JSON.stringify(flagStep)}`);
      const config = (await admin.get(`/api/v1/flags/${flags[n - 1]}`)).body.environments.production;
      if (config.defaultServe?.rollout?.[0]?.weight !== 100_000) throw new Error(`release ${n}: flag not at 100 %: ${JSON.stringify(config)}`);

      const stages: Record<string, number> = { publish: run.published - t0 };
      const darkLaunch = rollout.steps.find((s: any) => s.kind === 'dark-launch');
      // The dark launch's own parts, from its audit events: shadow up and mirroring set, then comparisons until the verdict and clean-up.
      const audit = (await admin.get(`/api/v1/audit?target=${encodeURIComponent(`release:${SERVICE}/${run.id}`)}&limit=100`)).body.items as any[];
      const at = (action: string) => Date.parse(audit.find((e) => e.action === action)?.at);
      for (const step of rollout.steps) {
        if (step.status !== 'succeeded' || !step.startedAt || !step.finishedAt) throw new Error(`release ${n}: step ${step.kind} ${step.status}`);
        stages[`${step.kind}:${step.environment}`] = Date.parse(step.finishedAt) - Date.parse(step.startedAt);
        if (step !== darkLaunch) continue;
        stages['… shadow up, route and sampling set'] = at('rollout.dark-launch.started') - Date.parse(darkLaunch.startedAt);
        // The verdict is audited with the step's end, after the shadow is gone: one figure for both.
        stages['… mirroring until the verdict, shadow removed'] = Date.parse(darkLaunch.finishedAt) - at('rollout.dark-launch.started');
      }
      // The time the engine spent outside steps: starting the rollout (the CI call included), and moving from one step to the next.
      stages['rollout start → first step'] = Date.parse(rollout.steps[0].startedAt) - run.published;
      const gaps = rollout.steps.slice(1).map((s: any, i: number) => Date.parse(s.startedAt) - Date.parse(rollout.steps[i].finishedAt));
      stages['between steps'] = gaps.reduce((a: number, b: number) => a + b, 0);
      stages['last step → rollout finished'] = finished - Date.parse(rollout.steps[rollout.steps.length - 1].finishedAt);
      process.stdout.write(
        `round ${r + 1} gaps: ${rollout.steps
          .slice(1)
          .map((s: any, i: number) => `${rollout.steps[i].kind}→${s.kind} ${gaps[i]}`)
          .join(', ')}\n`,
      );
      rounds.push({
        wallMs: finished - t0,
        cpuMs: cpuAfter - cpuBefore,
        idleCpuMsPerS,
        stages,
        compared: darkLaunch.detail.verdict.compared,
      });
      process.stdout.write(
        `round ${r + 1}: ${finished - t0} ms wall, server CPU ${cpuAfter - cpuBefore} ms, idle ${idleCpuMsPerS.toFixed(0)} ms/s; ${JSON.stringify(stages)}\n`,
      );
    }
    const traffic = await users.stop();
    users = undefined;

    const section = report(rounds, { buildMs, traffic });
    process.stdout.write(`\n${section}\n`);
    if (WRITE_README) writeSection(join(__dirname, '..', 'README.md'), section);
    expect(rounds).toHaveLength(ROUNDS);
  });
});

/** Steady users through the proxy until stopped: bounded in count (USER_MAX) and paced (USER_TICK_MS). */
function startUsers(proxy: ConnectedProxy): { stop(): Promise<{ sent: number; failed: number; statuses: Record<string, number> }> } {
  let sent = 0;
  let failed = 0;
  const statuses: Record<string, number> = {};
  let stopping = false;
  const agent = new http.Agent({ keepAlive: true, maxSockets: USER_BATCH });
  const loop = (async () => {
    while (!stopping && sent < USER_MAX) {
      const tick = Date.now();
      await Promise.all(
        Array.from({ length: USER_BATCH }, async () => {
          const n = sent++;
          const res = await send(`${proxy.url}/quotes/S${n % 25}`, { headers: { host: HOST, 'x-user-id': `user-${n % 400}` }, agent }).catch(() => undefined);
          if (res?.status !== 200) failed++;
          const key = String(res?.status ?? 'error');
          statuses[key] = (statuses[key] ?? 0) + 1;
        }),
      );
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, USER_TICK_MS - (Date.now() - tick))));
    }
  })();
  return {
    async stop() {
      stopping = true;
      await loop;
      agent.destroy();
      return { sent, failed, statuses };
    },
  };
}

function report(rounds: Round[], run: { buildMs: number; traffic: { sent: number; failed: number; statuses: Record<string, number> } }): string {
  const [one, five, fifteen] = loadavg().map((v) => v.toFixed(1));
  const model = /model name\s*:\s*(.+)/.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1]?.trim() ?? cpus()[0]?.model ?? 'unknown';
  const date = new Date().toISOString().slice(0, 10);
  const aboveIdle = rounds.map((r) => r.cpuMs - (r.idleCpuMsPerS * r.wallMs) / 1000);
  const stageNames = Object.keys(rounds[0].stages);
  const lines = [
    '## release loop',
    '',
    `\`npm run bench:release-loop\` — ${date}, ${cpus().length} cores (${model}), Node ${process.version}, load average ${one} / ${five} / ${fifteen} at the end (other engineers' runs share the machine). ` +
      `${rounds.length} good releases one after another, each from publish (release created, build/test/publish reported, image pushed to a private registry) through staging, ` +
      `a dark launch (\`sample: 100%\`, \`minCompared: 1\`, \`timeout: 30s\` as a bound only), the approval gate (one API call, made as soon as the \`gate.waiting\` webhook arrives), ` +
      `a canary with one analysis iteration (\`interval: ${MINIMUM}\`, \`minSamples: 0\`, error rate from Prometheus) and production, to a flag release with \`steps: [50%, 100%]\`, \`interval: ${MINIMUM}\` (the smallest duration the pipeline accepts) under an error-rate guardrail. ` +
      `The server is compiled as production runs it (tsc and path aliases into \`.cache/test-server-build\`, \`test/support/built-server.ts\`) and runs as its own process with its default ROLLOUT_POLL_INTERVAL and ROLLOUT_LEASE, on PostgreSQL and Redis; the Kubernetes simulator (pods ready after 30 ms, played by the mirror fixture upstreams), a connected proxy (reporting every 250 ms) carrying ≈100 user req/s, Prometheus (1 s scrapes) and the registry run beside it, all on loopback. ` +
      `Server CPU is utime + stime from /proc/<pid>/stat around the round (10 ms ticks); "above idle" subtracts the server's CPU rate measured over ${IDLE_MS / 1000} s just before the round with the same user traffic and proxy reports but no release. ` +
      `The benchmark learns of the gate and the end from webhooks, so it adds no polling to the server. Median (range) over the rounds.`,
    '',
    '| figure | median (range) |',
    '|---|---:|',
    `| publish → flag at 100 % in production, wall ms | ${spread(rounds.map((r) => r.wallMs))} |`,
    `| server CPU during it, ms | ${spread(rounds.map((r) => r.cpuMs))} |`,
    `| … above the idle rate, ms | ${spread(aboveIdle)} |`,
    `| server CPU when idle (proxy reports, users), ms per s | ${spread(rounds.map((r) => r.idleCpuMsPerS))} |`,
    '',
    'Where the wall time goes: each step from its own `startedAt` to `finishedAt` as the server recorded them (the "…" rows split the dark launch at its `rollout.dark-launch.started` audit event); "publish" is the CI calls that record the release (create, build/test/publish reports, the image push); "rollout start → first step" includes the CI call that starts the rollout; "between steps" sums the gaps where the engine moves from one step to the next. The rows without "…" add up to the total.',
    '',
    `| stage | ${rounds.map((_, i) => `round ${i + 1} ms`).join(' | ')} | median ms |`,
    `|---|${rounds.map(() => '---:').join('|')}|---:|`,
    ...stageNames.map((name) => `| ${name} | ${rounds.map((r) => ms(r.stages[name])).join(' | ')} | ${ms(median(rounds.map((r) => r.stages[name])))} |`),
    '',
    `Comparisons that decided each dark launch: ${rounds.map((r) => r.compared).join(', ')}. User requests through the proxy during the rounds: ${run.traffic.sent} (${run.traffic.failed} not 200; by status ${JSON.stringify(run.traffic.statuses)}). Server build before the run: ${run.buildMs < 1000 ? 'up to date' : `${ms(run.buildMs)} ms`}.`,
    '',
    'Reading it (from the code, true of every run):',
    '',
    "- The dark launch is the longest stage although one comparison suffices: the step reads the route's report once a second (`POLL_MS` in `libs/deploy/src/rollout/steps/dark-launch.step.ts`, not configurable), and the proxy ships its report every 250 ms here; a proxy on its default `--report-interval-ms 10000` adds up to 10 s. By the read that decides, usually dozens of comparisons have arrived (the row above).",
    '- The gap before the gate is the gate computing its plan (a GET and a dry-run apply per object against the cluster, `RolloutPlanner.preview`) before it records its start; the gate row itself is the `gate.waiting` webhook reaching the approver plus the approval call.',
    `- With \`interval: ${MINIMUM}\` the analysis and each flag step are measured at once, on Prometheus data scraped before the step (1 s scrapes, 5 s rate windows): the figures are the loop's own cost, not a hold anyone would configure.`,
  ];
  return lines.join('\n');
}

/** Replaces this benchmark's section of bench/README.md (re-read just before), or appends it. */
function writeSection(path: string, section: string): void {
  const text = readFileSync(path, 'utf8');
  const start = text.indexOf('\n## release loop\n');
  if (start === -1) {
    writeFileSync(path, `${text.replace(/\n*$/, '\n\n')}${section}\n`);
    return;
  }
  const next = text.indexOf('\n## ', start + 1);
  writeFileSync(path, `${text.slice(0, start + 1)}${section}\n${next === -1 ? '' : text.slice(next)}`);
}

async function deleteKeys(url: string, prefix: string): Promise<void> {
  const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1, enableOfflineQueue: false, retryStrategy: () => null });
  client.on('error', () => undefined);
  try {
    await client.connect();
    let cursor = '0';
    do {
      const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
      if (keys.length) await client.del(...keys);
      cursor = next;
    } while (cursor !== '0');
  } finally {
    client.disconnect();
  }
}
