#!/usr/bin/env node
// bench/sdk-eval — the same flag evaluation through Switchyard's Node SDK and through peer SDKs.
//
//   npm run bench:sdk-eval        (installs the peers into bench/sdk-eval/node_modules on first run)
//
// Each implementation runs in its own Node process (own JIT, own heap) with --expose-gc:
// set up 100 flags without any server, warm up, then 5 timed runs of 1,000,000 evaluations over
// 100,000 pre-generated users; the median run is reported as ns/op and ops/s, with the heap in use
// after set-up and a correctness check (share of non-Nordic users who get the flag ≈ 25%).
//
// It also holds Switchyard's performance budget (kept out of the test suite, where a wall-clock
// limit would flake on shared CI cores): the run fails if a Switchyard implementation is over
// BUDGET_NS_PER_OP or decides differently from the floor. For the budget alone, without peers:
//
//   npm run bench:sdk-eval -- switchyard switchyard-offline

import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { FLAG, inlinedDecision, NORDIC, prehashedDecision, switchyardSnapshot, users as makeUsers } from './workload.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '../..');
const EVALUATIONS = 1_000_000;
const WARMUP = 300_000;
const RUNS = 5;
// A budget, not a target: it trips only on a gross regression of the hot path (say an accidental
// per-call compile or closure), with room for a loaded 2-core machine. Measured ≈ 100 ns/op.
const BUDGET_NS_PER_OP = 1500;
const BUDGETED = ['switchyard', 'switchyard-offline'];
const PEERS = ['growthbook', 'launchdarkly', 'unleash'];

const IMPLEMENTATIONS = [
  'inlined',
  'inlined-prehashed',
  'switchyard',
  'switchyard-offline',
  'growthbook',
  'launchdarkly',
  'unleash',
  'openfeature-inmemory',
  'openfeature-switchyard',
];

// ------------------------------------------------------------------------------------------------
// Worker: one implementation.

async function setup(name, sdkDir) {
  const peers = createRequire(join(here, 'package.json'));
  const snapshot = switchyardSnapshot();
  const closedPort = 'http://127.0.0.1:9'; // discard port: nothing listens, connections are refused
  switch (name) {
    case 'inlined': {
      return { context: (u) => u, evaluate: (u) => inlinedDecision(u.id, u.country) };
    }
    case 'inlined-prehashed': {
      return { context: (u) => u, evaluate: (u) => prehashedDecision(u.id, u.country) };
    }
    case 'switchyard':
    case 'switchyard-offline': {
      const { createClient } = await import(pathToFileURL(join(sdkDir, 'index.mjs')).href);
      // "switchyard": the production path, usage counting on (the server is unreachable here, so
      // the client serves its bootstrap); "switchyard-offline": no usage counting at all.
      const client =
        name === 'switchyard'
          ? await createClient({ url: closedPort, token: 't', bootstrap: snapshot, metricsIntervalMs: 3_600_000, reconnectInitialMs: 60_000 })
          : await createClient({ offline: true, bootstrap: snapshot });
      if (client.status !== 'ready') throw new Error(`switchyard client is ${client.status}`);
      return {
        context: (u) => ({ targetingKey: u.id, country: u.country }),
        evaluate: (c) => client.getBooleanValue(FLAG, false, c),
        close: () => client.close(),
      };
    }
    case 'growthbook': {
      const { GrowthBookClient } = peers('@growthbook/growthbook');
      const features = {};
      const feature = () => ({
        defaultValue: false,
        rules: [
          { condition: { country: { $in: ['NO', 'SE'] } }, force: true },
          { force: true, coverage: 0.25, hashAttribute: 'id' },
        ],
      });
      for (const key of Object.keys(snapshot.flags)) features[key] = feature();
      const gb = new GrowthBookClient().initSync({ payload: { features } });
      return { context: (u) => ({ attributes: { id: u.id, country: u.country } }), evaluate: (c) => gb.isOn(FLAG, c), close: () => gb.destroy() };
    }
    case 'launchdarkly': {
      const ld = peers('@launchdarkly/node-server-sdk');
      const td = new ld.integrations.TestData();
      for (const key of Object.keys(snapshot.flags)) {
        await td.usePreconfiguredFlag({
          key,
          on: true,
          variations: [true, false],
          offVariation: 1,
          rules: [{ id: 'nordics', clauses: [{ attribute: 'country', op: 'in', values: ['NO', 'SE'], negate: false }], variation: 0 }],
          fallthrough: {
            rollout: {
              variations: [
                { variation: 0, weight: 25000 },
                { variation: 1, weight: 75000 },
              ],
            },
          },
          salt: snapshot.flags[key].defaultServe.salt,
          version: 1,
        });
      }
      const client = ld.init('sdk-key-bench', {
        updateProcessor: td.getFactory(),
        sendEvents: false,
        diagnosticOptOut: true,
        logger: ld.basicLogger({ level: 'none' }),
      });
      await client.waitForInitialization({ timeout: 10 });
      return {
        context: (u) => ({ kind: 'user', key: u.id, country: u.country }),
        async: true,
        evaluate: (c) => client.variation(FLAG, c, false),
        close: () => client.close(),
      };
    }
    case 'unleash': {
      const { initialize } = peers('unleash-client');
      const toggle = (name) => ({
        name,
        enabled: true,
        type: 'release',
        project: 'default',
        stale: false,
        strategies: [
          { name: 'default', parameters: {}, constraints: [{ contextName: 'country', operator: 'IN', values: ['NO', 'SE'] }] },
          { name: 'flexibleRollout', parameters: { rollout: '25', stickiness: 'userId', groupId: name }, constraints: [] },
        ],
        variants: [],
      });
      const unleash = initialize({
        url: `${closedPort}/api/`,
        appName: 'bench',
        refreshInterval: 0,
        skipInstanceCountWarning: true,
        bootstrap: { data: Object.keys(snapshot.flags).map(toggle) },
      });
      unleash.on('error', () => undefined);
      unleash.on('warn', () => undefined);
      await new Promise((resolveReady) => (unleash.isSynchronized?.() ? resolveReady() : unleash.once('ready', resolveReady)));
      return {
        context: (u) => ({ userId: u.id, properties: { country: u.country } }),
        evaluate: (c) => unleash.isEnabled(FLAG, c),
        close: () => unleash.destroy(),
      };
    }
    case 'openfeature-inmemory':
    case 'openfeature-switchyard': {
      const { OpenFeature, InMemoryProvider } = createRequire(join(root, 'package.json'))('@openfeature/server-sdk');
      let provider;
      if (name === 'openfeature-inmemory') {
        const flags = {};
        for (const key of Object.keys(snapshot.flags)) {
          flags[key] = {
            variants: { on: true, off: false },
            defaultVariant: 'off',
            disabled: false,
            contextEvaluator: (ctx) => (inlinedDecision(ctx.targetingKey, ctx.country) ? 'on' : 'off'),
          };
        }
        provider = new InMemoryProvider(flags);
      } else {
        const { SwitchyardProvider } = await import(pathToFileURL(join(dirname(sdkDir), 'openfeature-provider/index.mjs')).href);
        provider = new SwitchyardProvider({ offline: true, bootstrap: snapshot });
      }
      await OpenFeature.setProviderAndWait(provider);
      const client = OpenFeature.getClient();
      return {
        context: (u) => ({ targetingKey: u.id, country: u.country }),
        async: true,
        evaluate: (c) => client.getBooleanValue(FLAG, false, c),
        close: () => OpenFeature.close(),
      };
    }
    default:
      throw new Error(`unknown implementation ${name}`);
  }
}

function syncLoop(evaluate, contexts, n) {
  let on = 0;
  const size = contexts.length;
  for (let i = 0; i < n; i++) if (evaluate(contexts[i % size]) === true) on++;
  return on;
}

async function asyncLoop(evaluate, contexts, n) {
  let on = 0;
  const size = contexts.length;
  for (let i = 0; i < n; i++) if ((await evaluate(contexts[i % size])) === true) on++;
  return on;
}

async function worker(name, sdkDir) {
  const users = makeUsers();
  global.gc();
  const heapBefore = process.memoryUsage().heapUsed;
  const impl = await setup(name, sdkDir);
  global.gc();
  // What the SDK itself holds with 100 flags loaded; the contexts are built afterwards.
  const heapUsed = process.memoryUsage().heapUsed - heapBefore;
  const contexts = users.map(impl.context);
  const loop = impl.async ? asyncLoop : syncLoop;

  // Correctness: every user once, decisions compared with the floor's.
  let nordic = 0;
  let nordicOn = 0;
  let others = 0;
  let othersOn = 0;
  let agree = 0;
  for (let i = 0; i < users.length; i++) {
    const on = (await impl.evaluate(contexts[i])) === true;
    if (on === inlinedDecision(users[i].id, users[i].country)) agree++;
    if (NORDIC.has(users[i].country)) {
      nordic++;
      if (on) nordicOn++;
    } else {
      others++;
      if (on) othersOn++;
    }
  }

  await loop(impl.evaluate, contexts, WARMUP);
  const runs = [];
  for (let r = 0; r < RUNS; r++) {
    const start = process.hrtime.bigint();
    await loop(impl.evaluate, contexts, EVALUATIONS);
    runs.push(Number(process.hrtime.bigint() - start) / EVALUATIONS);
  }
  await impl.close?.();
  const sorted = [...runs].sort((a, b) => a - b);
  const median = sorted[Math.floor(RUNS / 2)];
  process.stdout.write(
    `${JSON.stringify({
      name,
      nsPerOp: median,
      opsPerSec: 1e9 / median,
      runs,
      heapMb: heapUsed / 1048576,
      nordicOnShare: nordicOn / nordic,
      othersOnShare: othersOn / others,
      agreeWithFloor: agree / users.length,
    })}\n`,
  );
  process.exit(0);
}

// ------------------------------------------------------------------------------------------------
// Coordinator.

function runWorker(name, sdkDir) {
  return new Promise((resolveRun, reject) => {
    const child = spawn(process.execPath, ['--expose-gc', fileURLToPath(import.meta.url), '--worker', name, sdkDir], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (chunk) => (out += chunk));
    child.on('exit', (code) => {
      if (code !== 0) return reject(new Error(`${name} exited with ${code}`));
      const line = out.trim().split('\n').pop();
      resolveRun(JSON.parse(line));
    });
  });
}

async function main() {
  const only = process.argv.slice(2).filter((a) => !a.startsWith('--'));
  const selected = only.length ? only : IMPLEMENTATIONS;
  if (selected.some((name) => PEERS.includes(name)) && !existsSync(join(here, 'node_modules/@growthbook/growthbook'))) {
    execFileSync('npm', ['install', '--prefix', here, '--no-audit', '--no-fund'], { stdio: 'inherit' });
  }
  const buildRoot = mkdtempSync(join(tmpdir(), 'switchyard-bench-'));
  try {
    // Built and laid out as an install would be, so the provider resolves its imports.
    const scope = join(buildRoot, 'node_modules/@switchyard');
    execFileSync(process.execPath, [join(root, 'sdk/openfeature-provider/scripts/build.mjs'), '--out', join(scope, 'openfeature-provider')], {
      stdio: 'ignore',
    });
    symlinkSync(join(root, 'node_modules/@openfeature'), join(buildRoot, 'node_modules/@openfeature'));
    // The SDK's own runtime dependencies, as an install would place them.
    symlinkSync(join(root, 'node_modules/re2js'), join(buildRoot, 'node_modules/re2js'));
    const sdkDir = join(scope, 'node-sdk');
    const results = [];
    for (const name of selected) {
      const result = await runWorker(name, sdkDir);
      results.push(result);
      process.stdout.write(`${name}: ${result.nsPerOp.toFixed(1)} ns/op\n`);
    }
    const peers = results.filter((r) => PEERS.includes(r.name));
    const fastestPeer = peers.sort((a, b) => a.nsPerOp - b.nsPerOp)[0];
    const floor = results.find((r) => r.name === 'inlined');
    const ours = results.find((r) => r.name === 'switchyard');
    console.log(
      `\nNode ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, load average ${loadavg()
        .map((l) => l.toFixed(1))
        .join(' ')}; ${EVALUATIONS.toLocaleString('en')} evaluations × ${RUNS} runs, median\n`,
    );
    console.log('| implementation | ns/op | ops/s | SDK heap (100 flags) | Nordic on | others on | same decisions as floor |');
    console.log('|---|---:|---:|---:|---:|---:|---:|');
    for (const r of results) {
      console.log(
        `| ${r.name} | ${r.nsPerOp.toFixed(1)} | ${(r.opsPerSec / 1e6).toFixed(2)} M | ${r.heapMb.toFixed(1)} MB | ${(r.nordicOnShare * 100).toFixed(1)}% | ${(r.othersOnShare * 100).toFixed(1)}% | ${(r.agreeWithFloor * 100).toFixed(1)}% |`,
      );
    }
    if (ours && fastestPeer)
      console.log(`\nswitchyard vs fastest peer (${fastestPeer.name}): ${(fastestPeer.nsPerOp / ours.nsPerOp).toFixed(1)}× the throughput (target ≥ 3×)`);
    if (ours && floor) console.log(`switchyard vs hand-inlined floor: ${(ours.nsPerOp / floor.nsPerOp).toFixed(2)}× the time (target ≤ 2×)`);
    const prehashed = results.find((r) => r.name === 'inlined-prehashed');
    if (ours && prehashed) console.log(`switchyard vs pre-hashed hand-inlined floor: ${(ours.nsPerOp / prehashed.nsPerOp).toFixed(2)}× the time`);
    checkBudget(results);
  } finally {
    rmSync(buildRoot, { recursive: true, force: true });
  }
}

function checkBudget(results) {
  const checked = results.filter((r) => BUDGETED.includes(r.name));
  if (checked.length === 0) return;
  console.log('');
  for (const r of checked) {
    const problems = [];
    if (r.nsPerOp > BUDGET_NS_PER_OP) problems.push(`over the budget of ${BUDGET_NS_PER_OP} ns/op`);
    if (r.agreeWithFloor !== 1) problems.push(`${((1 - r.agreeWithFloor) * 100).toFixed(2)}% of decisions differ from the floor`);
    console.log(`budget ${r.name}: ${r.nsPerOp.toFixed(1)} ns/op (≤ ${BUDGET_NS_PER_OP})${problems.length ? ` FAILED: ${problems.join('; ')}` : ' ok'}`);
    if (problems.length) process.exitCode = 1;
  }
}

if (process.argv[2] === '--worker') {
  await worker(process.argv[3], process.argv[4]);
} else {
  await main();
}
