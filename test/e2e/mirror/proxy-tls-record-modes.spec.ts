import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApiClient } from '../../support/api-client';
import { freePort } from '../../support/free-port';
import { startTestServer, waitFor, type TestServer } from '../../support/test-server';
import { httpsGet, proxyLines, runProxy, selfSigned, type ProxyProcess } from './proxy-process';
import { ACCOUNT_NUMBER, replay, SECRET_COOKIE, SECRET_TOKEN, startQuoteServer, type QuoteServer } from './record-replay-fixtures';

/** Waits until the proxy's admin port is ready (or the proxy has died, which fails with its output). */
async function ready(proxy: ProxyProcess, adminPort: number, routes?: string[]): Promise<void> {
  await waitFor(
    async () => {
      if (proxy.child.exitCode !== null) throw new Error(`proxy exited with ${proxy.child.exitCode}: ${proxy.output()}`);
      const answer = await fetch(`http://127.0.0.1:${adminPort}/routes`).catch(() => undefined);
      if (answer?.status !== 200) return false;
      const body = (await answer.json()) as { routes: Array<{ name: string }> };
      return routes === undefined || routes.every((name) => body.routes.some((route) => route.name === name));
    },
    // The first start may build dist/ (tsc) on a shared machine.
    150_000,
    'proxy ready',
  );
}

/**
 * Issue 19, items 1 and 3 beyond a route file: a connected proxy (`--server`) serves HTTPS and
 * records for `switchyard replay` with the same flags as a standalone one, and a route file can
 * carry the live port's certificate itself (`tls:`).
 */
describe('switchyard proxy: TLS and recording when connected, TLS from the route file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-tls-record-'));
  let server: TestServer;
  let primary: QuoteServer;
  let tokenFile: string;
  let first: ReturnType<typeof selfSigned>;
  let second: ReturnType<typeof selfSigned>;

  beforeAll(async () => {
    server = await startTestServer({ env: { MIRROR_ALLOWED_TARGETS: '127.0.0.1' } });
    const admin = new ApiClient(server.url, server.adminToken);
    primary = await startQuoteServer();
    first = selfSigned(dir, 'first');
    second = selfSigned(dir, 'second');
    // Two routes managed on the server; each asks for recording in its own way. Neither `dir` may
    // be written: a route from the API never chooses a path on the proxy's disk.
    const base = { primary: primary.url, candidate: primary.url, sample: { percent: 0 }, endpoints: ['/quotes/:symbol'] };
    const quotes = await admin.post('/api/v1/mirror/routes', {
      ...base,
      name: 'quotes',
      match: { pathPrefix: '/quotes' },
      record: { dir: join(dir, 'server-chosen'), redactPaths: ['$.account.number'] },
    });
    expect(quotes.status).toBe(201);
    const quiet = await admin.post('/api/v1/mirror/routes', {
      ...base,
      name: 'quiet',
      match: { pathPrefix: '/quiet' },
      record: { dir: join(dir, 'other'), sample: 0 },
    });
    expect(quiet.status).toBe(201);
    tokenFile = join(dir, 'token');
    writeFileSync(tokenFile, `${await admin.token_('proxy-tls-record', ['sdk:staging', 'mirror:report:quotes', 'mirror:report:quiet'])}\n`);
  }, 120_000);

  afterAll(async () => {
    await primary?.close();
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  // One process throughout: this spec is about TLS and recording, not about --workers.
  const connected = (...extra: string[]) => ['--server', server.url, '--token-file', tokenFile, '--environment', 'staging', '--workers', '1', ...extra];

  it('connected: serves HTTPS with --tls-cert/--tls-key and writes a --record capture that replay reads, Authorization masked', async () => {
    const capture = join(dir, 'capture');
    const [port, adminPort] = [await freePort(), await freePort()];
    const proxy = runProxy(
      connected(
        ...['--port', String(port), '--admin-port', String(adminPort), '--host', '127.0.0.1', '--report-interval-ms', '60000'],
        ...['--tls-cert', first.cert, '--tls-key', first.key, '--record', capture],
      ),
    );
    await ready(proxy, adminPort, ['quotes', 'quiet']);
    const ca = [readFileSync(first.cert, 'utf8')];
    const headers = { authorization: SECRET_TOKEN, cookie: SECRET_COOKIE };
    for (let i = 0; i < 30; i++) {
      const answer = await httpsGet(`https://127.0.0.1:${port}/quotes/SYM${i % 5}`, ca, headers);
      expect({ status: answer.status, fingerprint: answer.fingerprint }).toEqual({ status: 200, fingerprint: first.fingerprint });
      expect(JSON.parse(answer.body.toString())).toMatchObject({ symbol: `SYM${i % 5}`, account: { number: ACCOUNT_NUMBER } });
    }
    // The route whose `record.sample` is 0 is served, not captured.
    expect((await httpsGet(`https://127.0.0.1:${port}/quiet/SYM1`, ca, headers)).status).toBe(200);
    proxy.child.kill('SIGTERM');
    expect(await proxy.exited).toBe(0);

    const text = readdirSync(capture)
      .filter((name) => name.endsWith('.ndjson'))
      .map((name) => readFileSync(join(capture, name), 'utf8'))
      .join('');
    const exchanges = text.split('\n').filter((line) => line.startsWith('{"type":"exchange"'));
    expect(exchanges).toHaveLength(30);
    expect(text).toContain('"authorization":"[redacted]"');
    // grep: no credential, cookie or route-masked path in clear.
    for (const secret of [SECRET_TOKEN, 'tok-4f9e1c', SECRET_COOKIE, ACCOUNT_NUMBER]) expect(text).not.toContain(secret);
    expect(existsSync(join(dir, 'server-chosen'))).toBe(false);
    expect(existsSync(join(dir, 'other'))).toBe(false);

    const run = await replay(['--capture', capture, '--candidate', primary.url, '--speed', '1000', '--min-compared', '10', '--json']);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ outcome: 'pass', replay: { exchanges: 30 } });
  }, 240_000);

  it('connected: a key that is not the certificate’s ends the proxy with one line and exit 2', async () => {
    const proxy = runProxy(connected('--port', '0', '--admin-port', '0', '--tls-cert', first.cert, '--tls-key', second.key));
    expect(await proxy.exited).toBe(2);
    expect(proxyLines(proxy)).toEqual([`switchyard proxy: --tls-key ${second.key} does not match the certificate in --tls-cert ${first.cert}`]);
    expect(proxy.output()).not.toMatch(/\n\s+at /);
  }, 180_000);

  describe('route file tls:', () => {
    const conf = join(dir, 'conf');
    const routeFile = (name: string, tls: string) => {
      const path = join(conf, name);
      writeFileSync(
        path,
        [tls, 'routes:', '  - name: quotes', `    primary: ${primary.url}`, `    candidate: ${primary.url}`, '    sample: { percent: 0 }', ''].join('\n'),
      );
      return path;
    };

    beforeAll(() => {
      mkdirSync(join(conf, 'tls'), { recursive: true });
      copyFileSync(first.cert, join(conf, 'tls', 'live.crt'));
      copyFileSync(first.key, join(conf, 'tls', 'live.key'));
    });

    it('serves HTTPS with the certificate it names (relative to the file) and picks up a rotated one', async () => {
      const routes = routeFile('routes.yml', 'tls: { cert: tls/live.crt, key: tls/live.key }');
      const [port, adminPort] = [await freePort(), await freePort()];
      const proxy = runProxy(['--config', routes, '--workers', '1', '--port', String(port), '--admin-port', String(adminPort), '--host', '127.0.0.1']);
      await ready(proxy, adminPort);
      const url = `https://127.0.0.1:${port}/quotes/SYM1`;
      const answer = await httpsGet(url, [readFileSync(first.cert, 'utf8')]);
      expect({ status: answer.status, fingerprint: answer.fingerprint }).toEqual({ status: 200, fingerprint: first.fingerprint });

      // Rotation, as with the flags: the files it names are replaced in place.
      writeFileSync(join(conf, 'tls', 'live.key'), readFileSync(second.key));
      writeFileSync(join(conf, 'tls', 'live.crt'), readFileSync(second.cert));
      const both = [readFileSync(first.cert, 'utf8'), readFileSync(second.cert, 'utf8')];
      await waitFor(async () => (await httpsGet(url, both)).fingerprint === second.fingerprint, 15_000, 'the rotated certificate');
      proxy.child.kill('SIGTERM');
      expect(await proxy.exited).toBe(0);
    }, 240_000);

    it('refuses a bad path, a missing field, and TLS set both by flags and file, each in one clear error with exit 2', async () => {
      const missing = routeFile('missing.yml', 'tls: { cert: tls/nowhere.crt, key: tls/live.key }');
      const bad = runProxy(['--config', missing, '--workers', '1', '--port', '0', '--admin-port', '0']);
      expect(await bad.exited).toBe(2);
      expect(proxyLines(bad)).toEqual([`switchyard proxy: ${missing}: tls.cert ${join(conf, 'tls', 'nowhere.crt')}: cannot read it (ENOENT)`]);

      const incomplete = routeFile('incomplete.yml', 'tls: { cert: tls/live.crt }');
      const invalid = runProxy(['--config', incomplete, '--workers', '1', '--port', '0', '--admin-port', '0']);
      expect(await invalid.exited).toBe(2);
      expect(invalid.output()).toContain(`switchyard proxy: bad route file\n${incomplete}:1:1: tls.key: is required (a PEM file path)\n`);

      const twice = routeFile('twice.yml', 'tls: { cert: tls/live.crt, key: tls/live.key }');
      const both = runProxy(['--config', twice, '--workers', '1', '--port', '0', '--admin-port', '0', '--tls-cert', first.cert, '--tls-key', first.key]);
      expect(await both.exited).toBe(2);
      expect(proxyLines(both)).toEqual([`switchyard proxy: TLS is set twice: by --tls-cert/--tls-key and by tls: in ${twice}; keep one of them`]);
      for (const proxy of [bad, invalid, both]) expect(proxy.output()).not.toMatch(/\n\s+at /);
    }, 240_000);
  });
});
