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
    expect(await (await fetch(`${admin}/metrics`)).text()).toMatch(/switchyard_mirror_requests_total\{route="market-data",outcome="compared"\} 4/);

    proxy.child.kill('SIGTERM');
    expect(await proxy.exited).toBe(0);
  }, 180_000);
});
