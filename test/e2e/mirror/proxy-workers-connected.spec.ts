import { spawn, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import { resolve } from 'node:path';
import type { MirrorReport } from '@switchyard/mirror';
import { ApiClient } from '../../support/api-client';
import { freePort } from '../../support/free-port';
import { json } from '../../support/http';
import { startTestServer, waitFor, type TestServer } from '../../support/test-server';
import { send, startFixtures, type Fixtures } from './fixture-services';

const root = resolve(__dirname, '../../..');

interface WorkerStatus {
  slot: number;
  pid?: number;
  ready: boolean;
  seen?: number;
  routes?: string[];
}

/**
 * `switchyard proxy --server URL --workers 2`: each worker is a proxy of its own towards the server
 * (routes, flags, report batches), the admin port is still one, and the server's report adds up
 * both workers' batches.
 */
describe('switchyard proxy --workers, connected', () => {
  let server: TestServer;
  let admin: ApiClient;
  let fixtures: Fixtures<'primary' | 'candidate'>;
  let child: ChildProcess | undefined;
  let primaryPid: number | undefined;

  beforeAll(async () => {
    server = await startTestServer({ env: { MIRROR_ALLOWED_TARGETS: '127.0.0.1' } });
    admin = new ApiClient(server.url, server.adminToken);
    fixtures = await startFixtures({ primary: 'primary', candidate: 'changed' });
  }, 120_000);

  afterAll(async () => {
    if (child && child.exitCode === null) child.kill('SIGKILL');
    if (primaryPid !== undefined) {
      try {
        process.kill(primaryPid, 'SIGKILL');
      } catch {
        // Gone already.
      }
    }
    await fixtures?.close();
    await server?.close();
  });

  it('serves the server’s routes on both workers and reports all their traffic, locally and to the server', async () => {
    const created = await admin.post('/api/v1/mirror/routes', {
      name: 'quotes',
      primary: fixtures.urls.primary,
      candidate: fixtures.urls.candidate,
      sample: { percent: 100 },
      endpoints: ['/quotes/:symbol'],
      compare: { ignore: ['$.timestamp', '$.requestId'] },
    });
    expect(created.status).toBe(201);
    const token = await admin.token_('proxy-workers', ['sdk:production', 'mirror:report:quotes']);
    const [port, adminPort] = [await freePort(), await freePort()];
    const args = ['--server', server.url, '--port', String(port), '--admin-port', String(adminPort), '--host', '127.0.0.1'];
    child = spawn(process.execPath, ['scripts/start-proxy.mjs', ...args, '--report-interval-ms', '200', '--log-level', 'warn', '--workers', '2'], {
      cwd: root,
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...process.env, SWITCHYARD_TOKEN: token },
    });
    let stderr = '';
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<number | null>((done) => child!.once('exit', (code) => done(code)));
    const adminUrl = `http://127.0.0.1:${adminPort}`;
    const workers = async () => {
      const body = (await json(await fetch(`${adminUrl}/workers`))) as { primary: number; workers: WorkerStatus[] };
      primaryPid = body.primary;
      return body.workers;
    };
    await waitFor(
      async () => {
        if (child!.exitCode !== null) throw new Error(`proxy exited with ${child!.exitCode}: ${stderr}`);
        if ((await fetch(`${adminUrl}/readyz`).catch(() => undefined))?.status !== 200) return false;
        return (await workers()).every((worker) => worker.ready && worker.routes?.includes('quotes'));
      },
      120_000,
      'both workers serving the server’s route',
    );
    expect(((await json(await fetch(`${adminUrl}/routes`))) as { routes: { name: string }[] }).routes.map((route) => route.name)).toEqual(['quotes']);

    const sent = 16;
    for (let i = 0; i < sent; i++) {
      expect((await send(`http://127.0.0.1:${port}/quotes/ABC`, { agent: new http.Agent({ keepAlive: false }) })).status).toBe(200);
    }
    const local = await waitFor(async () => {
      const body = (await json(await fetch(`${adminUrl}/reports?route=quotes`))) as MirrorReport;
      return body.routes[0]?.totals.compared === sent ? body.routes[0] : undefined;
    });
    expect(local.totals.seen).toBe(sent);
    expect((await workers()).every((worker) => (worker.seen ?? 0) > 0)).toBe(true);
    // Both workers' batches reach the server, each under its own proxy name.
    let last: unknown;
    await waitFor(
      async () => {
        const res = await admin.get('/api/v1/mirror/reports?route=quotes');
        last = { status: res.status, totals: (res.body as MirrorReport).routes?.[0]?.totals, stderr: stderr.slice(-2000) };
        return (res.body as MirrorReport).routes?.[0]?.totals.compared === sent;
      },
      30_000,
      'the server’s report to count every request',
    ).catch((error: Error) => {
      throw new Error(`${error.message}: ${JSON.stringify(last)}`);
    });

    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  }, 240_000);
});
