import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { freePort } from '../../support/free-port';
import { json } from '../../support/http';
import { waitFor } from '../../support/test-server';
import { send, startFixtures, type Fixtures } from './fixture-services';

const root = resolve(__dirname, '../../..');

function run(args: string[]): { child: ChildProcess; stderr: () => string; exited: Promise<number | null> } {
  const child = spawn(process.execPath, ['scripts/start-proxy.mjs', ...args], { cwd: root, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
  return { child, stderr: () => stderr, exited };
}

/** `npm run start:proxy` end to end: the built entry, a real route file, signals. */
describe('npm run start:proxy', () => {
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-proxy-'));
  let fixtures: Fixtures<'primary' | 'candidate'>;

  beforeAll(async () => {
    fixtures = await startFixtures({ primary: 'primary', candidate: 'changed' });
  });

  afterAll(async () => {
    await fixtures?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('stops on a bad route file, naming the file, line and field', async () => {
    const file = join(dir, 'bad.yml');
    writeFileSync(
      file,
      [
        '- name: market-data',
        `  primary: ${fixtures.urls.primary}`,
        `  candidate: ${fixtures.urls.candidate}`,
        '  sample: { percent: 250 }',
        '  timeoutMs: soon',
        '',
      ].join('\n'),
    );
    // The first run may also compile.
    const proxy = run(['--config', file, '--port', '0', '--admin-port', '0']);
    expect(await proxy.exited).toBe(2);
    expect(proxy.stderr()).toContain(`${file}:4:13: routes[0].sample.percent: Too big: expected number to be <=100`);
    expect(proxy.stderr()).toContain(`${file}:5:3: routes[0].timeoutMs: expected number, received string`);
  }, 180_000);

  it('rejects bad arguments with the usage line', async () => {
    const proxy = run(['--config', join(dir, 'x.yml'), '--port', 'eighty']);
    expect(await proxy.exited).toBe(2);
    expect(proxy.stderr()).toMatch(/--port must be a port number[\s\S]*usage: switchyard proxy --config routes.yml/);
  }, 180_000);

  it('serves the live path, the admin port and reports, and exits cleanly on SIGTERM', async () => {
    const file = join(dir, 'routes.yml');
    writeFileSync(
      file,
      [
        '- name: market-data',
        `  primary: ${fixtures.urls.primary}`,
        `  candidate: ${fixtures.urls.candidate}`,
        '  sample: { percent: 100, bucketBy: header:x-user-id }',
        '  endpoints: ["/quotes/:symbol"]',
        '  compare: { ignore: [$.timestamp, $.requestId] }',
        '',
      ].join('\n'),
    );
    const [port, adminPort] = [await freePort(), await freePort()];
    const proxy = run(['--config', file, '--port', String(port), '--admin-port', String(adminPort), '--host', '127.0.0.1', '--log-level', 'warn']);
    const admin = `http://127.0.0.1:${adminPort}`;
    await waitFor(
      async () => {
        if (proxy.child.exitCode !== null) throw new Error(`proxy exited with ${proxy.child.exitCode}: ${proxy.stderr()}`);
        return (await fetch(`${admin}/readyz`).catch(() => undefined))?.status === 200;
      },
      120_000,
      'proxy ready',
    );
    expect(await json(await fetch(`${admin}/healthz`))).toEqual({ status: 'ok' });

    const direct = await send(`${fixtures.urls.primary}/static/small`);
    const through = await send(`http://127.0.0.1:${port}/static/small`);
    expect(through.body.equals(direct.body)).toBe(true);
    for (let i = 0; i < 3; i++) expect((await send(`http://127.0.0.1:${port}/quotes/ABC`, { headers: { 'x-user-id': 'u1' } })).status).toBe(200);

    const report = await waitFor(async () => {
      const body = await json(await fetch(`${admin}/reports?route=market-data`));
      return body.routes[0].totals.compared === 4 ? body.routes[0] : undefined;
    });
    expect(report.endpoints.find((endpoint: any) => endpoint.endpoint === 'GET /quotes/:symbol').fields).toEqual([
      expect.objectContaining({ field: '$.price', raw: 3, significant: true }),
    ]);
    expect((await fetch(`${admin}/reports?route=nope`)).status).toBe(404);

    // `since`, validated as the server's report API does.
    const hourAgo = new Date(Date.now() - 3_600_000).toISOString();
    const recent = await json(await fetch(`${admin}/reports?route=market-data&since=${hourAgo}`));
    expect(recent.routes[0]).toMatchObject({ since: hourAgo, totals: { compared: 4, seen: 4 } });
    const inAnHour = new Date(Date.now() + 3_600_000).toISOString();
    const future = await json(await fetch(`${admin}/reports?route=market-data&since=${inAnHour}`));
    expect(future.routes[0]).toMatchObject({ since: inAnHour, verdict: 'insufficient-data', totals: { seen: 0, compared: 0 }, endpoints: [] });
    const garbage = await fetch(`${admin}/reports?route=market-data&since=garbage`);
    expect(garbage.status).toBe(400);
    expect((await json(garbage)).error).toMatchObject({
      code: 'VALIDATION_FAILED',
      details: [{ path: 'since', problem: expect.stringContaining('ISO 8601') }],
    });
    expect(await (await fetch(`${admin}/metrics`)).text()).toMatch(/switchyard_mirror_requests_total\{route="market-data",outcome="compared"\} 4/);

    proxy.child.kill('SIGTERM');
    expect(await proxy.exited).toBe(0);
  }, 180_000);

  it('applies route file edits without a restart, keeps serving through a bad one, and re-reads on SIGHUP', async () => {
    const file = join(dir, 'reloaded.yml');
    const route = (name: string, extra: string[] = []) => [
      `- name: ${name}`,
      `  match: { pathPrefix: /${name} }`,
      `  primary: ${fixtures.urls.primary}`,
      `  candidate: ${fixtures.urls.candidate}`,
      '  sample: { percent: 100 }',
      ...extra,
    ];
    writeFileSync(file, [...route('quotes'), ''].join('\n'));
    const [port, adminPort] = [await freePort(), await freePort()];
    const proxy = run(['--config', file, '--port', String(port), '--admin-port', String(adminPort), '--host', '127.0.0.1', '--log-level', 'warn']);
    const admin = `http://127.0.0.1:${adminPort}`;
    const live = (path: string) => send(`http://127.0.0.1:${port}${path}`);
    const routesNow = async () => json(await fetch(`${admin}/routes`));
    const metric = async (name: string) =>
      (await (await fetch(`${admin}/metrics`)).text()).match(new RegExp(`^${name.replace(/[{}"]/g, '\\$&')} (\\S+)$`, 'm'))?.[1];
    await waitFor(
      async () => {
        if (proxy.child.exitCode !== null) throw new Error(`proxy exited with ${proxy.child.exitCode}: ${proxy.stderr()}`);
        return (await fetch(`${admin}/readyz`).catch(() => undefined))?.status === 200;
      },
      120_000,
      'proxy ready',
    );
    expect((await live('/quotes/ABC')).status).toBe(200);
    expect(JSON.parse((await live('/users/u1')).body.toString()).error.code).toBe('NO_ROUTE');

    // An edit adds a route; the unchanged one keeps what it recorded.
    writeFileSync(file, [...route('quotes'), ...route('users'), ''].join('\n'));
    await waitFor(async () => (await routesNow()).routes.some((r: any) => r.name === 'users'), 10_000, 'the users route to be loaded');
    expect((await live('/users/u1')).status).toBe(200);
    expect((await routesNow()).routeFile).toMatchObject({ file, lastReload: { trigger: 'watch', result: 'success' } });
    await waitFor(async () => (await json(await fetch(`${admin}/reports?route=users`))).routes[0].totals.seen === 1, 10_000, 'the users route to report');
    expect((await json(await fetch(`${admin}/reports?route=quotes`))).routes[0].totals.seen).toBe(1);

    // A bad edit is rejected with its file, line and field; the routes in effect keep serving.
    writeFileSync(file, [...route('quotes'), ...route('users', ['  timeoutMs: soon']), ...route('static'), ''].join('\n'));
    const rejected = await waitFor(
      async () => {
        const body = await routesNow();
        return body.routeFile.lastReload?.result === 'failure' ? body : undefined;
      },
      10_000,
      'the bad edit to be rejected',
    );
    expect(rejected.routeFile.lastReload.problems).toEqual([
      { file, line: 11, column: 3, field: 'routes[1].timeoutMs', problem: 'expected number, received string' },
    ]);
    expect(rejected.routes.map((r: any) => r.name)).toEqual(['quotes', 'users']);
    expect((await live('/users/u2')).status).toBe(200);
    expect(JSON.parse((await live('/static/small')).body.toString()).error.code).toBe('NO_ROUTE');
    expect(await metric('switchyard_proxy_config_last_reload_successful')).toBe('0');
    expect(await metric('switchyard_proxy_config_reloads_total{result="failure"}')).toBe('1');
    expect((await fetch(`${admin}/readyz`)).status).toBe(200);

    // The fix is applied.
    writeFileSync(file, [...route('quotes'), ...route('users', ['  timeoutMs: 1500']), ...route('static'), ''].join('\n'));
    await waitFor(async () => (await routesNow()).routeFile.lastReload?.result === 'success', 10_000, 'the fixed file to be applied');
    expect((await routesNow()).routes.map((r: any) => [r.name, r.timeoutMs])).toEqual([
      ['quotes', 2000],
      ['users', 1500],
      ['static', 2000],
    ]);
    expect((await live('/static/small')).status).toBe(200);
    expect(await metric('switchyard_proxy_config_last_reload_successful')).toBe('1');
    // The edited route's report still counts what it saw before the edit.
    await waitFor(async () => (await json(await fetch(`${admin}/reports?route=users`))).routes[0].totals.seen === 2, 10_000, 'users to keep its report');

    // SIGHUP re-reads the file even when it did not change.
    const successes = Number(await metric('switchyard_proxy_config_reloads_total{result="success"}'));
    proxy.child.kill('SIGHUP');
    await waitFor(async () => (await routesNow()).routeFile.lastReload?.trigger === 'signal', 10_000, 'the SIGHUP reload');
    expect(Number(await metric('switchyard_proxy_config_reloads_total{result="success"}'))).toBe(successes + 1);
    expect(proxy.child.exitCode).toBeNull();

    proxy.child.kill('SIGTERM');
    expect(await proxy.exited).toBe(0);
  }, 180_000);
});
