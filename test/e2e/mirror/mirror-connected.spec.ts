import http from 'node:http';
import type { MirrorReport } from '@switchyard/mirror';
import { createLogger } from '@switchyard/observability';
import { startConnectedProxy, type ConnectedProxy } from '../../../apps/proxy/src/connected-proxy';
import { ApiClient } from '../../support/api-client';
import { startTestServer, waitFor, type TestServer } from '../../support/test-server';
import { inBatches, send, startFixtures, type Fixtures } from './fixture-services';

const FLAG = 'mirror.quotes';

/**
 * The server-connected half of the dark-launch proxy: routes managed through the admin API and
 * pushed to a running proxy, sampling decided by a flag changed through the admin API, and the
 * proxy's reports gated on through the server's report API.
 */
describe('mirror: routes API, connected proxy and server reports', () => {
  let server: TestServer;
  let admin: ApiClient;
  let fixtures: Fixtures<'primary' | 'secondary' | 'changed'>;
  let proxy: ConnectedProxy;
  const agent = new http.Agent({ keepAlive: true, maxSockets: 16 });

  const quotesRoute = () => ({
    name: 'quotes',
    match: { host: 'quotes.test' },
    primary: fixtures.urls.primary,
    candidate: fixtures.urls.changed,
    secondary: fixtures.urls.secondary,
    sample: { flag: FLAG, bucketBy: 'header:x-user-id' },
    maxInFlight: 1000,
    endpoints: ['/quotes/:symbol'],
    verdict: { minCompared: 40, maxMismatchPercent: 0.1 },
  });

  async function setRollout(onPercent: number): Promise<void> {
    const on = onPercent * 1000;
    const res = await admin.patch(`/api/v1/flags/${FLAG}/environments/staging`, {
      enabled: true,
      defaultServe: {
        rollout: [
          { variant: 'on', weight: on },
          { variant: 'off', weight: 100_000 - on },
        ],
      },
    });
    expect(res.status).toBe(200);
  }

  function get(host: string, path: string, user: string) {
    return send(`${proxy.url}${path}`, { headers: { host, 'x-user-id': user }, agent });
  }

  const candidateCalls = async () => (await fixtures.requests('changed')).filter((request) => request.headers['x-switchyard-shadow'] === '1');

  beforeAll(async () => {
    // The fixtures listen on loopback, which mirror routes may target only when listed.
    server = await startTestServer({ env: { MIRROR_ALLOWED_TARGETS: '127.0.0.1' } });
    admin = new ApiClient(server.url, server.adminToken);
    fixtures = await startFixtures({ primary: 'primary', secondary: 'primary', changed: 'changed' });
    const flag = await admin.post('/api/v1/flags', {
      key: FLAG,
      type: 'boolean',
      environments: { staging: { enabled: true, defaultServe: { variant: 'off' } } },
    });
    expect(flag.status).toBe(201);
    // One token for everything this proxy does: read its routes and the staging flags, report for its routes.
    const token = await admin.token_('proxy', ['sdk:staging', 'mirror:report:quotes', 'mirror:report:few']);
    proxy = await startConnectedProxy({
      // In process the event loop is the test's own too: no load shedding.
      maxEventLoopUtilization: 1,
      server: server.url,
      token,
      environment: 'staging',
      port: 0,
      adminPort: 0,
      host: '127.0.0.1',
      reportIntervalMs: 60_000,
      logger: createLogger(process.env.TEST_LOG_LEVEL ?? 'silent', 'switchyard-proxy'),
    });
    await proxy.routesReady;
    // Server start (migrations) on a loaded machine can take longer than Jest's 30 s.
  }, 120_000);

  afterAll(async () => {
    agent.destroy();
    await proxy?.close();
    await fixtures?.close();
    await server?.close();
  });

  describe('/api/v1/mirror/routes', () => {
    it('rejects an invalid route with the paths at fault, and a reader may not write', async () => {
      const bad = await admin.post('/api/v1/mirror/routes', {
        name: 'Bad Name',
        primary: 'ftp://x',
        candidate: 'http://127.0.0.1:1',
        sample: { percent: 250 },
        methods: ['POST'],
        extra: 1,
      });
      expect(bad.status).toBe(400);
      const paths = (bad.body.error.details as { path: string }[]).map((detail) => detail.path).sort();
      expect(paths).toEqual(expect.arrayContaining(['extra', 'name', 'primary', 'sample.percent']));
      const reader = admin.withToken(await admin.token_('mirror-reader', ['mirror:read']));
      expect((await reader.post('/api/v1/mirror/routes', quotesRoute())).status).toBe(403);
      expect((await reader.get('/api/v1/mirror/routes')).status).toBe(200);
    });

    it('creates, versions and deletes a route, each change audited', async () => {
      const route = { ...quotesRoute(), name: 'scratch', match: { host: 'scratch.test' }, sample: { percent: 5 } };
      const created = await admin.post('/api/v1/mirror/routes', route);
      expect(created.status).toBe(201);
      expect(created.headers.get('etag')).toBe('"1"');
      expect(created.body.route).toMatchObject({ name: 'scratch', methods: ['GET', 'HEAD'], timeoutMs: 2000 });
      expect((await admin.post('/api/v1/mirror/routes', route)).status).toBe(409);
      expect((await admin.post('/api/v1/mirror/routes', { ...route, name: 'scratch-twin' })).status).toBe(400);

      const updated = await admin.request('PUT', '/api/v1/mirror/routes/scratch', { ...route, sample: { percent: 10 } }, { 'if-match': '"1"' });
      expect(updated.status).toBe(200);
      expect(updated.headers.get('etag')).toBe('"2"');
      const stale = await admin.request('PUT', '/api/v1/mirror/routes/scratch', route, { 'if-match': '"1"' });
      expect(stale.status).toBe(409);
      expect(stale.body.error.currentVersion).toBe(2);
      expect((await admin.delete('/api/v1/mirror/routes/scratch')).status).toBe(200);
      expect((await admin.get('/api/v1/mirror/routes/scratch')).status).toBe(404);

      const audit = await admin.get('/api/v1/audit?target=mirror-route:scratch');
      const actions = (audit.body.items as { action: string; before?: { sample: unknown }; after?: { sample: unknown } }[]).map((event) => event.action).sort();
      expect(actions).toEqual(['mirror-route.created', 'mirror-route.deleted', 'mirror-route.updated']);
      const update = (audit.body.items as { action: string; before: { sample: unknown }; after: { sample: unknown } }[]).find(
        (event) => event.action === 'mirror-route.updated',
      )!;
      expect([update.before.sample, update.after.sample]).toEqual([{ percent: 5 }, { percent: 10 }]);
    });
  });

  describe('a running connected proxy', () => {
    it('picks up a route added through the API without a restart', async () => {
      const before = await get('quotes.test', '/quotes/AAA', 'u0');
      expect(before.status).toBe(404);
      expect((await admin.post('/api/v1/mirror/routes', quotesRoute())).status).toBe(201);
      await waitFor(() => proxy.routes().some((route) => route.name === 'quotes'), 10_000, 'the proxy to receive the new route');
      const after = await get('quotes.test', '/quotes/AAA', 'u0');
      expect(after.status).toBe(200);
      expect(JSON.parse(after.body.toString())).toMatchObject({ symbol: 'AAA' });
    });

    it('samples by the flag: 0% mirrors nothing, 100% everything, and a user keeps their decision', async () => {
      await setRollout(0);
      await waitFor(() => proxy.flags.getBooleanDetails(FLAG, true, { targetingKey: 'x' }).reason === 'SPLIT', 10_000, 'the proxy to see the 0% rollout');
      await inBatches(40, 8, async (i) => expect((await get('quotes.test', `/quotes/S${i % 10}`, `user-${i}`)).status).toBe(200));
      expect(proxy.report('quotes').routes[0].totals).toMatchObject({ sampled: 0 });
      expect(await candidateCalls()).toHaveLength(0);

      await setRollout(100);
      await waitFor(() => proxy.flags.getBooleanValue(FLAG, false, { targetingKey: 'x' }), 10_000, 'the proxy to see the 100% rollout');
      await inBatches(40, 8, async (i) => expect((await get('quotes.test', `/quotes/S${i % 10}`, `user-${i}`)).status).toBe(200));
      await waitFor(async () => (await candidateCalls()).length === 40, 10_000, 'all 40 requests to be mirrored');

      await setRollout(50);
      await waitFor(
        () => {
          const decisions = Array.from({ length: 30 }, (_, i) => proxy.flags.getBooleanValue(FLAG, false, { targetingKey: `probe-${i}` }));
          return decisions.includes(true) && decisions.includes(false);
        },
        10_000,
        'the proxy to see the 50% rollout',
      );
      const before = await candidateCalls();
      const perUser = new Map<string, number>();
      for (let round = 0; round < 3; round++) {
        for (let user = 0; user < 30; user++) {
          expect((await get('quotes.test', `/quotes/R${user}`, `sticky-${user}`)).status).toBe(200);
        }
      }
      await waitFor(async () => (await candidateCalls()).length > before.length, 10_000, 'some sticky users to be mirrored');
      await new Promise((resolve) => setTimeout(resolve, 300));
      for (const call of (await candidateCalls()).slice(before.length)) {
        const user = String(call.headers['x-user-id']);
        perUser.set(user, (perUser.get(user) ?? 0) + 1);
      }
      // Each user was mirrored on all three rounds or on none.
      expect([...perUser.values()].every((count) => count === 3)).toBe(true);
      expect(perUser.size).toBeGreaterThan(3);
      expect(perUser.size).toBeLessThan(27);
    });

    it('sends reports that the server turns into a fail verdict, and insufficient-data for too few requests', async () => {
      await setRollout(100);
      await waitFor(() => proxy.flags.getBooleanValue(FLAG, false, { targetingKey: 'late' }), 10_000, 'the proxy to see the 100% rollout');
      const few = {
        ...quotesRoute(),
        name: 'few',
        match: { host: 'few.test' },
        sample: { percent: 100 },
        verdict: { minCompared: 500, maxMismatchPercent: 0.1 },
      };
      expect((await admin.post('/api/v1/mirror/routes', few)).status).toBe(201);
      await waitFor(() => proxy.routes().some((route) => route.name === 'few'), 10_000, 'the proxy to receive route few');
      await inBatches(10, 5, async (i) => expect((await get('few.test', `/quotes/F${i}`, `few-${i}`)).status).toBe(200));
      await waitFor(
        () => proxy.report('few').routes[0].totals.compared === 10 && proxy.report('quotes').routes[0].totals.compared >= 40,
        15_000,
        'exchanges to be compared',
      );

      await proxy.shipper.flush();
      expect(proxy.shipper.stats).toEqual({ queued: 0, dropped: 0 });
      const local = proxy.report('quotes').routes[0];
      const res = await admin.get('/api/v1/mirror/reports?route=quotes');
      expect(res.status).toBe(200);
      const stored = (res.body as MirrorReport).routes[0];
      expect(stored.verdict).toBe('fail');
      expect(stored.totals.compared).toBe(local.totals.compared);
      expect(stored.totals.sampled).toBe(local.totals.sampled);
      const endpoint = stored.endpoints.find((e) => e.endpoint === 'GET /quotes/:symbol')!;
      expect(endpoint.fields.filter((field) => field.significant).map((field) => field.field)).toEqual(['$.price']);
      expect(endpoint.fields[0].examples.length).toBeGreaterThan(0);
      expect(endpoint.statusMatrix).toEqual({ '200': { '200': endpoint.compared } });
      expect(endpoint.latencyMs.primary.count).toBe(endpoint.compared);

      const fewReport = (await admin.get('/api/v1/mirror/reports?route=few')).body as MirrorReport;
      expect(fewReport.routes[0]).toMatchObject({ verdict: 'insufficient-data', totals: { compared: 10 } });

      // A second flush with nothing new changes nothing; `since` in the future sees nothing.
      await proxy.shipper.flush();
      expect(((await admin.get('/api/v1/mirror/reports?route=quotes')).body as MirrorReport).routes[0].totals.compared).toBe(local.totals.compared);
      const later = await admin.get(`/api/v1/mirror/reports?route=quotes&since=${new Date(Date.now() + 2 * 3_600_000).toISOString()}`);
      expect(later.body.routes[0]).toMatchObject({ verdict: 'insufficient-data', totals: { compared: 0 } });
      expect((await admin.get('/api/v1/mirror/reports?since=yesterday')).status).toBe(400);
      expect((await admin.get('/api/v1/mirror/reports?route=nope')).status).toBe(404);
    }, 30_000);
  });
});
