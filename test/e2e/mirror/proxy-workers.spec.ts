import { execFileSync, spawn } from 'node:child_process';
import http from 'node:http';
import { mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { readCapture } from '../../../apps/cli/src/replay/capture-reader';
import { freePort } from '../../support/free-port';
import { json } from '../../support/http';
import { waitFor } from '../../support/test-server';
import { send, startFixtures, type Fixtures } from './fixture-services';
import { proxyLines, runProxy, type ProxyProcess } from './proxy-process';

const root = resolve(__dirname, '../../..');

interface WorkerStatus {
  slot: number;
  pid?: number;
  ready: boolean;
  restarts: number;
  seen?: number;
  routes?: string[];
}

/** `npm run start:proxy` with two workers on free ports, logging warnings only. */
async function runTwoWorkers(file: string, extra: string[] = []): Promise<{ proxy: ProxyProcess; port: number; adminPort: number }> {
  const [port, adminPort] = [await freePort(), await freePort()];
  const args = ['--config', file, '--port', String(port), '--admin-port', String(adminPort), '--host', '127.0.0.1', '--log-level', 'warn'];
  return { proxy: runProxy([...args, '--workers', '2', ...extra]), port, adminPort };
}

/** A request on a connection of its own, so that node:cluster hands it to the next worker. */
const fresh = (url: string) => send(url, { agent: new http.Agent({ keepAlive: false }) });

/** `switchyard proxy --workers 2` end to end: one live port, one admin port, one route file, a worker killed. */
describe('switchyard proxy --workers', () => {
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-workers-'));
  let fixtures: Fixtures<'primary' | 'candidate'>;

  beforeAll(async () => {
    fixtures = await startFixtures({ primary: 'primary', candidate: 'changed' });
  });

  afterAll(async () => {
    await fixtures?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('rejects a bad worker count with one line and exit 2', async () => {
    const proxy = runProxy(['--config', join(dir, 'x.yml'), '--workers', '0']);
    expect(await proxy.exited).toBe(2);
    expect(proxyLines(proxy).find((line) => line.startsWith('switchyard proxy: --workers'))).toBe(
      'switchyard proxy: --workers must be a whole number from 1 to 64, got "0"',
    );
  }, 180_000);

  it('serves and mirrors on every worker, merges the admin port, reloads all, and replaces a killed worker', async () => {
    const file = join(dir, 'routes.yml');
    const route = (name: string, prefix: string) => [
      `- name: ${name}`,
      `  match: { pathPrefix: ${prefix} }`,
      `  primary: ${fixtures.urls.primary}`,
      `  candidate: ${fixtures.urls.candidate}`,
      '  sample: { percent: 100 }',
      '  endpoints: ["/quotes/:symbol"]',
      '  compare: { ignore: [$.timestamp, $.requestId] }',
    ];
    writeFileSync(file, [...route('market-data', '/quotes'), ''].join('\n'));
    const { proxy, port, adminPort } = await runTwoWorkers(file);
    const admin = `http://127.0.0.1:${adminPort}`;
    let streaming = false;
    const live = `http://127.0.0.1:${port}`;
    let primaryPid: number | undefined;
    const workers = async () => {
      const body = (await json(await fetch(`${admin}/workers`))) as { primary: number; workers: WorkerStatus[] };
      primaryPid = body.primary;
      return body.workers;
    };
    const metric = async (name: string) =>
      (await (await fetch(`${admin}/metrics`)).text()).match(new RegExp(`^${name.replace(/[{}"]/g, '\\$&')} (\\S+)$`, 'm'))?.[1];
    try {
      await waitFor(
        async () => {
          if (proxy.child.exitCode !== null) throw new Error(`proxy exited with ${proxy.child.exitCode}: ${proxy.output()}`);
          if ((await fetch(`${admin}/readyz`).catch(() => undefined))?.status !== 200) return false;
          return (await workers()).every((worker) => worker.ready);
        },
        120_000,
        'both workers ready',
      );

      // node:cluster hands new connections to the workers in turn: both serve, and the admin port counts them all.
      const sent = 20;
      for (let i = 0; i < sent; i++) expect((await fresh(`${live}/quotes/ABC`)).status).toBe(200);
      const report = await waitFor(async () => {
        const body = await json(await fetch(`${admin}/reports?route=market-data`));
        return body.routes[0]?.totals.compared === sent ? body.routes[0] : undefined;
      });
      expect(report.totals).toMatchObject({ seen: sent, sampled: sent, compared: sent });
      expect(report.endpoints.find((endpoint: any) => endpoint.endpoint === 'GET /quotes/:symbol').fields).toEqual([
        expect.objectContaining({ field: '$.price', raw: sent, significant: true }),
      ]);
      const perWorker = await workers();
      expect(perWorker.map((worker) => worker.seen)).toEqual([expect.any(Number), expect.any(Number)]);
      expect(perWorker.every((worker) => worker.seen! > 0)).toBe(true);
      expect(perWorker.reduce((sum, worker) => sum + worker.seen!, 0)).toBe(sent);
      expect(await metric('switchyard_mirror_requests_total{route="market-data",outcome="compared"}')).toBe(String(sent));
      expect((await fetch(`${admin}/reports?route=nope`)).status).toBe(404);

      // One route file, watched by the primary: an edit reaches every worker.
      // Written aside and renamed in, as editors and ConfigMaps do: the watcher never reads half a file (one reload, counted once).
      writeFileSync(`${file}.new`, [...route('market-data', '/quotes'), ...route('accounts', '/accounts'), ''].join('\n'));
      renameSync(`${file}.new`, file);
      await waitFor(async () => (await workers()).every((worker) => worker.routes?.includes('accounts')), 20_000, 'the edit on both workers');
      expect(((await json(await fetch(`${admin}/routes`))) as { routes: { name: string }[] }).routes.map((r) => r.name)).toEqual(['market-data', 'accounts']);
      expect(await metric('switchyard_proxy_config_reloads_total{result="success"}')).toBe('1');

      // Two keep-alive clients, each pinned to one connection, on different workers.
      const seenBy = async () => new Map((await workers()).map((worker) => [worker.slot, worker.seen ?? 0]));
      const pin = async (): Promise<{ agent: http.Agent; slot: number }> => {
        const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
        const before = await seenBy();
        expect((await send(`${live}/quotes/PIN`, { agent })).status).toBe(200);
        const slot = await waitFor(async () => {
          const after = await seenBy();
          return [...after].find(([s, seen]) => seen > (before.get(s) ?? 0))?.[0];
        });
        return { agent, slot };
      };
      const a = await pin();
      let b = await pin();
      for (let attempt = 0; b.slot === a.slot && attempt < 10; attempt++) {
        b.agent.destroy();
        b = await pin();
      }
      expect(b.slot).not.toBe(a.slot);

      // B streams requests on its connection while A's worker is killed: B never notices.
      const outcomes = { b: [] as (number | string)[] };
      streaming = true;
      const streamB = (async () => {
        while (streaming)
          outcomes.b.push(
            await send(`${live}/quotes/B`, { agent: b.agent }).then(
              (res) => res.status,
              (error: Error) => error.message,
            ),
          );
      })();
      const victim = (await workers()).find((worker) => worker.slot === a.slot)!;
      const survivor = (await workers()).find((worker) => worker.slot === b.slot)!;
      await waitFor(() => outcomes.b.length >= 5, 20_000, 'B streaming');
      process.kill(victim.pid!, 'SIGKILL');
      const replaced = await waitFor(
        async () => (await workers()).find((worker) => worker.slot === a.slot && worker.ready && worker.pid !== victim.pid),
        30_000,
        'a new worker in the killed one’s slot',
      );
      expect(replaced).toMatchObject({ restarts: 1, seen: 0 });
      const afterKill = outcomes.b.length;
      await waitFor(() => outcomes.b.length >= afterKill + 5, 20_000, 'B streaming on');
      streaming = false;
      await streamB;
      expect(outcomes.b.every((outcome) => outcome === 200)).toBe(true);
      expect((await workers()).find((worker) => worker.slot === b.slot)).toMatchObject({ pid: survivor.pid, restarts: 0 });

      // A's connection went with its worker: at most its next request fails; the client carries on.
      const aOutcomes: (number | string)[] = [];
      for (let i = 0; i < 5; i++)
        aOutcomes.push(
          await send(`${live}/quotes/A`, { agent: a.agent }).then(
            (res) => res.status,
            (error: Error) => error.message,
          ),
        );
      expect(aOutcomes.slice(1)).toEqual([200, 200, 200, 200]);
      for (let i = 0; i < 6; i++) expect((await fresh(`${live}/quotes/NEW`)).status).toBe(200);
      expect(await metric('switchyard_proxy_worker_restarts_total')).toBe('1');
      a.agent.destroy();
      b.agent.destroy();

      proxy.child.kill('SIGTERM');
      expect(await proxy.exited).toBe(0);
    } finally {
      streaming = false;
      if (proxy.child.exitCode === null) proxy.child.kill('SIGKILL');
      // start-proxy.mjs killed outright leaves its child, the cluster's primary, behind (its workers follow it).
      if (primaryPid !== undefined && proxy.child.exitCode !== 0) {
        try {
          process.kill(primaryPid, 'SIGKILL');
        } catch {
          // Gone already.
        }
      }
    }
  }, 240_000);

  it('records with every worker into one capture directory that replay reads whole', async () => {
    const file = join(dir, 'recorded.yml');
    writeFileSync(
      file,
      ['- name: market-data', `  primary: ${fixtures.urls.primary}`, `  candidate: ${fixtures.urls.candidate}`, '  sample: { percent: 100 }', ''].join('\n'),
    );
    const captureDir = join(dir, 'capture');
    const { proxy, port, adminPort } = await runTwoWorkers(file, ['--record', captureDir]);
    const admin = `http://127.0.0.1:${adminPort}`;
    let primaryPid: number | undefined;
    try {
      const statuses = await waitFor(
        async () => {
          if (proxy.child.exitCode !== null) throw new Error(`proxy exited with ${proxy.child.exitCode}: ${proxy.output()}`);
          const res = await fetch(`${admin}/workers`).catch(() => undefined);
          if (res?.status !== 200) return false;
          const body = (await json(res)) as { primary: number; workers: WorkerStatus[] };
          primaryPid = body.primary;
          return body.workers.every((worker) => worker.ready) && body.workers;
        },
        120_000,
        'both workers ready',
      );
      const sent = 12;
      for (let i = 0; i < sent; i++) expect((await fresh(`http://127.0.0.1:${port}/quotes/R${i}`)).status).toBe(200);
      await waitFor(async () => {
        const seen = ((await json(await fetch(`${admin}/workers`))) as { workers: WorkerStatus[] }).workers.map((worker) => worker.seen ?? 0);
        return seen.every((n) => n > 0) && seen.reduce((sum, n) => sum + n, 0) === sent;
      });
      // Shutdown writes out what each worker queued.
      proxy.child.kill('SIGTERM');
      expect(await proxy.exited).toBe(0);
      const segments = readdirSync(captureDir);
      expect(segments.some((name) => name.includes('-w1-'))).toBe(true);
      expect(segments.some((name) => name.includes('-w2-'))).toBe(true);
      const capture = await readCapture(captureDir, { allowPartial: false });
      expect(capture.exchanges.map((exchange) => exchange.record.request.url).sort()).toEqual(Array.from({ length: sent }, (_, i) => `/quotes/R${i}`).sort());
      expect(statuses).toHaveLength(2);
    } finally {
      if (proxy.child.exitCode === null) proxy.child.kill('SIGKILL');
      if (primaryPid !== undefined && proxy.child.exitCode !== 0) {
        try {
          process.kill(primaryPid, 'SIGKILL');
        } catch {
          // Gone already.
        }
      }
    }
  }, 180_000);

  it('forks its workers from the bundled proxy too (the image runs the bundle)', async () => {
    // Inside the repository, so the bundle's bare imports resolve from its node_modules as an install's would.
    mkdirSync(join(root, '.cache'), { recursive: true });
    const out = mkdtempSync(join(root, '.cache', 'proxy-bundle-'));
    try {
      execFileSync(process.execPath, ['apps/proxy/scripts/build.mjs', '--out', out], { cwd: root, stdio: 'ignore' });
      const file = join(dir, 'bundle.yml');
      writeFileSync(
        file,
        ['- name: market-data', `  primary: ${fixtures.urls.primary}`, `  candidate: ${fixtures.urls.candidate}`, '  sample: { percent: 100 }', ''].join('\n'),
      );
      const [port, adminPort] = [await freePort(), await freePort()];
      const child = spawn(
        process.execPath,
        [
          join(out, 'dist/apps/proxy/src/main.js'),
          '--config',
          file,
          '--port',
          String(port),
          '--admin-port',
          String(adminPort),
          '--host',
          '127.0.0.1',
          '--log-level',
          'warn',
          '--workers',
          '2',
        ],
        { stdio: ['ignore', 'ignore', 'pipe'] },
      );
      let stderr = '';
      child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
      try {
        const workers = await waitFor(
          async () => {
            if (child.exitCode !== null) throw new Error(`bundled proxy exited with ${child.exitCode}: ${stderr}`);
            const res = await fetch(`http://127.0.0.1:${adminPort}/workers`).catch(() => undefined);
            if (res?.status !== 200) return false;
            const body = (await json(res)) as { workers: WorkerStatus[] };
            return body.workers.every((worker) => worker.ready) && body.workers;
          },
          60_000,
          'the bundle’s workers ready',
        );
        expect(new Set(workers.map((worker) => worker.pid)).size).toBe(2);
        expect((await fresh(`http://127.0.0.1:${port}/quotes/X`)).status).toBe(200);
        child.kill('SIGTERM');
        expect(await exited).toBe(0);
      } finally {
        if (child.exitCode === null) child.kill('SIGKILL');
      }
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  }, 180_000);
});
