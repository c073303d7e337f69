import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { emptyEndpointAggregate } from '@switchyard/mirror';
import { createLogger } from '@switchyard/observability';
import { Database, MIGRATIONS } from '@switchyard/persistence';
import { startConnectedProxy, type ConnectedProxy } from '../../../apps/proxy/src/connected-proxy';
import { parseProxyArgs, type ProxyArgs } from '../../../apps/proxy/src/proxy-args';
import { ApiClient } from '../../support/api-client';
import { startTestServer, waitFor, type TestServer } from '../../support/test-server';

const ALLOWED = '10.0.0.0/8, orders.internal:8080, [fd00::1]';

const routeBody = (name: string, extra: Record<string, unknown> = {}) => ({
  name,
  match: { host: `${name}.test` },
  primary: 'http://10.0.0.10:8080',
  candidate: 'http://10.0.0.11:8080',
  sample: { percent: 10 },
  ...extra,
});

const batch = (...routes: string[]) => ({
  proxy: 'test',
  routes: routes.map((route) => ({
    route,
    since: new Date().toISOString(),
    endpoints: [{ ...emptyEndpointAggregate('GET /x'), seen: 10, sampled: 10, compared: 10, statusMatrix: { '200': { '200': 10 } } }],
  })),
});

/**
 * Issue 12, mirror routes: their own scopes, proxy tokens bound to their routes, the egress
 * policy on route targets, and the proxy's admin port and token handling. Every refusal is
 * checked to leave the routes, the stored reports and the audit trail as they were.
 */
describe('mirror security: scopes, bound proxy tokens, egress policy, proxy secrets', () => {
  let server: TestServer;
  let admin: ApiClient;
  const tokens: Record<string, ApiClient> = {};

  /** Routes, stored reports and audit events, as the database holds them. */
  async function mirrorState(): Promise<unknown> {
    const [row] = await server.app.get(Database).query<{ routes: unknown; reports: unknown; audit: string }>(
      `SELECT (SELECT coalesce(json_agg(r ORDER BY name), '[]') FROM mirror_routes r) AS routes,
              (SELECT coalesce(json_agg(e ORDER BY route, endpoint), '[]') FROM mirror_endpoint_reports e) AS reports,
              (SELECT count(*) FROM audit_events) AS audit`,
    );
    return row;
  }

  /** Runs a request that must be refused with `status`, and checks it changed nothing. */
  async function refused(status: number, call: () => Promise<{ status: number; body: any }>): Promise<any> {
    const before = await mirrorState();
    const res = await call();
    expect([res.status, res.body?.error?.code]).toEqual([status, expect.any(String)]);
    expect(await mirrorState()).toEqual(before);
    return res.body;
  }

  beforeAll(async () => {
    server = await startTestServer({ env: { MIRROR_ALLOWED_TARGETS: ALLOWED } });
    admin = new ApiClient(server.url, server.adminToken);
    for (const name of ['quotes', 'orders']) expect((await admin.post('/api/v1/mirror/routes', routeBody(name))).status).toBe(201);
    const kinds: Record<string, string[]> = {
      'flags-write': ['flags:write'],
      'flags-read': ['flags:read'],
      'mirror-read': ['mirror:read'],
      'mirror-write': ['mirror:write'],
      proxy: ['sdk:staging', 'mirror:report:quotes'],
      sdk: ['sdk:staging'],
    };
    for (const [name, scopes] of Object.entries(kinds)) tokens[name] = admin.withToken(await admin.token_(name, scopes));
  }, 120_000);

  afterAll(async () => {
    await server?.close();
  });

  describe('scopes per token kind', () => {
    it('flags:* and sdk tokens reach no mirror route, write or report', async () => {
      for (const name of ['flags-write', 'flags-read', 'sdk']) {
        const client = tokens[name];
        expect((await client.get('/api/v1/mirror/routes')).status).toBe(403);
        expect((await client.get('/api/v1/mirror/routes/quotes')).status).toBe(403);
        expect((await client.get('/api/v1/mirror/reports')).status).toBe(403);
        await refused(403, () => client.post('/api/v1/mirror/routes', routeBody('sneaky')));
        await refused(403, () => client.request('PUT', '/api/v1/mirror/routes/quotes', routeBody('quotes', { primary: 'http://10.6.6.6' })));
        await refused(403, () => client.delete('/api/v1/mirror/routes/quotes'));
        await refused(403, () => client.post('/api/v1/mirror/reports', batch('quotes')));
      }
    });

    it('mirror:read reads routes and reports but changes nothing', async () => {
      const reader = tokens['mirror-read'];
      expect((await reader.get('/api/v1/mirror/routes')).body.items.map((item: { name: string }) => item.name)).toEqual(['orders', 'quotes']);
      expect((await reader.get('/api/v1/mirror/routes/orders')).status).toBe(200);
      expect((await reader.get('/api/v1/mirror/reports?route=quotes')).status).toBe(200);
      await refused(403, () => reader.post('/api/v1/mirror/routes', routeBody('sneaky')));
      await refused(403, () => reader.request('PUT', '/api/v1/mirror/routes/quotes', routeBody('quotes', { sample: { percent: 50 } })));
      await refused(403, () => reader.delete('/api/v1/mirror/routes/quotes'));
      await refused(403, () => reader.post('/api/v1/mirror/reports', batch('quotes')));
    });

    it('mirror:write changes routes (audited) but cannot post reports, so it cannot forge a verdict', async () => {
      const writer = tokens['mirror-write'];
      const created = await writer.post('/api/v1/mirror/routes', routeBody('scratch'));
      expect(created.status).toBe(201);
      expect(created.body.createdBy).toBe('token:mirror-write');
      expect((await writer.request('PUT', '/api/v1/mirror/routes/scratch', routeBody('scratch', { sample: { percent: 20 } }))).status).toBe(200);
      expect((await writer.delete('/api/v1/mirror/routes/scratch')).status).toBe(200);
      await refused(403, () => writer.post('/api/v1/mirror/reports', batch('quotes')));
    });
  });

  describe('a proxy token bound to route quotes', () => {
    it('sees only its route, reports for it, and is refused (changing nothing) for another route', async () => {
      const proxy = tokens.proxy;
      expect((await proxy.get('/api/v1/mirror/routes')).body.items.map((item: { name: string }) => item.name)).toEqual(['quotes']);
      expect((await proxy.get('/api/v1/mirror/routes/quotes')).status).toBe(200);
      expect((await proxy.get('/api/v1/mirror/routes/orders')).status).toBe(403);
      expect((await proxy.get('/api/v1/mirror/reports?route=quotes')).status).toBe(403);

      expect((await proxy.post('/api/v1/mirror/reports', batch('quotes'))).status).toBe(202);
      const forged = await refused(403, () => proxy.post('/api/v1/mirror/reports', batch('orders')));
      expect(forged.error.message).toMatch(/reports for mirror routes quotes only, not orders/);
      // A batch that mixes its own route with another is refused whole.
      await refused(403, () => proxy.post('/api/v1/mirror/reports', batch('quotes', 'orders')));
      const stored = await admin.get('/api/v1/mirror/reports');
      const compared = Object.fromEntries(
        stored.body.routes.map((route: { route: string; totals: { compared: number } }) => [route.route, route.totals.compared]),
      );
      expect(compared).toEqual({ orders: 0, quotes: 10 });
    });

    it('cannot create, change or delete routes, its own included', async () => {
      const proxy = tokens.proxy;
      await refused(403, () => proxy.post('/api/v1/mirror/routes', routeBody('mine')));
      await refused(403, () => proxy.request('PUT', '/api/v1/mirror/routes/quotes', routeBody('quotes', { primary: 'http://10.6.6.6' })));
      await refused(403, () => proxy.delete('/api/v1/mirror/routes/quotes'));
    });
  });

  describe('egress policy (MIRROR_ALLOWED_TARGETS)', () => {
    it.each([
      ['primary', 'http://169.254.169.254/latest/meta-data/', /169\.254\.169\.254 is a cloud metadata address/],
      ['candidate', 'http://[::1]:8080/', /::1 is a loopback address/],
      ['candidate', 'http://127.0.0.1:9/', /127\.0\.0\.1 is a loopback address/],
      ['secondary', 'http://[fe80::1]/', /fe80::1 is a link-local address/],
      ['primary', 'http://metadata.google.internal/computeMetadata/v1/', /metadata\.google\.internal is a cloud metadata name/],
      ['primary', 'http://192.168.1.10/', /192\.168\.1\.10:80 is not in MIRROR_ALLOWED_TARGETS/],
      ['candidate', 'http://orders.internal:9090/', /orders\.internal:9090 is not in MIRROR_ALLOWED_TARGETS/],
    ])('refuses %s %s with a 400 naming the field, on create and on replace', async (field, target, problem) => {
      const create = await refused(400, () => admin.post('/api/v1/mirror/routes', routeBody('egress', { secondary: 'http://10.0.0.12', [field]: target })));
      expect(create.error.code).toBe('VALIDATION_FAILED');
      expect(create.error.details).toEqual([{ path: field, problem: expect.stringMatching(problem) }]);
      const replace = await refused(400, () => admin.request('PUT', '/api/v1/mirror/routes/quotes', routeBody('quotes', { [field]: target })));
      expect(replace.error.details).toEqual([{ path: field, problem: expect.stringMatching(problem) }]);
    });

    it('allows targets the list names: a CIDR match, a host:port and an IPv6 address', async () => {
      const created = await admin.post(
        '/api/v1/mirror/routes',
        routeBody('listed', { primary: 'http://10.200.3.4:8000', candidate: 'http://orders.internal:8080/v2', secondary: 'http://[fd00::1]/' }),
      );
      expect(created.status).toBe(201);
      expect((await admin.delete('/api/v1/mirror/routes/listed')).status).toBe(200);
    });
  });

  describe('the proxy: admin port and token handling', () => {
    const dir = mkdtempSync(join(tmpdir(), 'switchyard-proxy-secrets-'));
    const adminToken = 'proxy-admin-0123456789abcdef';
    let proxy: ConnectedProxy;

    beforeAll(async () => {
      const tokenFile = join(dir, 'token');
      writeFileSync(tokenFile, `${await admin.token_('proxy-from-file', ['sdk:staging', 'mirror:report:quotes'])}\n`);
      // What `switchyard proxy` does with its arguments and environment: no secret on the command line.
      const args = parseProxyArgs(['--server', server.url, '--token-file', tokenFile, '--environment', 'staging', '--port', '0', '--admin-port', '0'], {
        SWITCHYARD_PROXY_ADMIN_TOKEN: adminToken,
      }) as ProxyArgs;
      proxy = await startConnectedProxy({
        server: args.server!,
        token: args.token!,
        environment: args.environment!,
        port: args.port,
        adminPort: args.adminPort,
        host: '127.0.0.1',
        adminHost: args.adminHost,
        adminToken: args.adminToken,
        maxEventLoopUtilization: 1,
        reportIntervalMs: 60_000,
        logger: createLogger(process.env.TEST_LOG_LEVEL ?? 'silent', 'switchyard-proxy'),
      });
      await proxy.routesReady;
    }, 60_000);

    afterAll(async () => {
      await proxy?.close();
      rmSync(dir, { recursive: true, force: true });
    });

    it('connects with the token from the file and streams only its bound route', async () => {
      await waitFor(() => proxy.routes().length > 0, 10_000, 'the route list');
      expect(proxy.routes().map((route) => route.name)).toEqual(['quotes']);
    });

    it('binds the admin port to loopback by default', async () => {
      expect(proxy.adminUrl).toBe(`http://127.0.0.1:${proxy.adminPort}`);
      const external = Object.values(networkInterfaces())
        .flat()
        .find((address) => address && address.family === 'IPv4' && !address.internal)?.address;
      if (external) await expect(fetch(`http://${external}:${proxy.adminPort}/healthz`)).rejects.toThrow();
    });

    it('answers 401 without its token (health and readiness stay open), 200 with it', async () => {
      for (const path of ['/routes', '/reports', '/metrics']) {
        const res = await fetch(`${proxy.adminUrl}${path}`);
        expect([path, res.status, res.headers.get('www-authenticate')]).toEqual([path, 401, 'Bearer']);
        expect(((await res.json()) as { error: { code: string } }).error.code).toBe('UNAUTHENTICATED');
        expect((await fetch(`${proxy.adminUrl}${path}`, { headers: { authorization: 'Bearer wrong-token-0123456789' } })).status).toBe(401);
        expect((await fetch(`${proxy.adminUrl}${path}`, { headers: { authorization: `Bearer ${adminToken}` } })).status).toBe(200);
      }
      expect((await fetch(`${proxy.adminUrl}/healthz`)).status).toBe(200);
      expect((await fetch(`${proxy.adminUrl}/readyz`)).status).toBe(200);
    });
  });

  describe('migration MirrorScopes1764260000000', () => {
    it('gives flags:* tokens mirror:read (audited) and nothing more, and its down takes exactly that back', async () => {
      const db = server.app.get(Database);
      const runner = { query: (sql: string, params?: unknown[]) => db.query(sql, params) } as never;
      const migration = new (MIGRATIONS.find((m) => m.name === 'MirrorScopes1764260000000')!)() as {
        up(r: never): Promise<void>;
        down(r: never): Promise<void>;
      };
      const scopes = async () =>
        Object.fromEntries(
          (
            await db.query<{ name: string; scopes: string[] }>(
              `SELECT name, scopes FROM api_tokens WHERE name IN ('flags-read', 'flags-write', 'mirror-write', 'proxy')`,
            )
          ).map((row) => [row.name, row.scopes]),
        );
      const before = await scopes();
      await migration.up(runner);
      expect(await scopes()).toEqual({
        ...before,
        'flags-read': ['flags:read', 'mirror:read'],
        'flags-write': ['flags:write', 'mirror:read'],
      });
      const audit = await admin.get('/api/v1/audit?target=token:flags-read');
      expect(audit.body.items[0]).toMatchObject({ actor: 'system', action: 'token.scopes-migrated', after: { scopes: ['flags:read', 'mirror:read'] } });
      await migration.down(runner);
      expect(await scopes()).toEqual(before);
    });
  });
});
