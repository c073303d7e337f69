import http from 'node:http';
import type { RunningProxy } from '../../../apps/proxy/src/proxy-app';
import { freePort } from '../../support/free-port';
import { inBatches, send, startFixtures, type Fixtures } from './fixture-services';
import { fetchReport, settled, startTestProxy } from './proxy-under-test';

const USERS = 5000;
const REPEATS = 3;

describe('mirror safety: methods, scrubbed headers, sticky sampling', () => {
  let fixtures: Fixtures<'primary' | 'candidate' | 'unsafeCandidate' | 'sampledCandidate'>;
  let proxy: RunningProxy;
  const agent = new http.Agent({ keepAlive: true, maxSockets: 20 });

  beforeAll(async () => {
    fixtures = await startFixtures({ primary: 'primary', candidate: 'match', unsafeCandidate: 'match', sampledCandidate: 'match' });
    const { urls } = fixtures;
    proxy = await startTestProxy([
      {
        name: 'safe',
        match: { host: 'safe.test' },
        primary: urls.primary,
        candidate: urls.candidate,
        sample: { percent: 100 },
        scrubHeaders: ['cookie', 'authorization', 'x-internal-secret'],
      },
      {
        name: 'unsafe',
        match: { host: 'unsafe.test' },
        primary: urls.primary,
        candidate: urls.unsafeCandidate,
        sample: { percent: 100 },
        methods: ['GET', 'POST'],
        allowUnsafeMethods: true,
      },
      {
        name: 'primary-down',
        match: { host: 'primary-down.test' },
        primary: `http://127.0.0.1:${await freePort()}`,
        candidate: urls.candidate,
        sample: { percent: 100 },
      },
      {
        name: 'sampled',
        match: { host: 'sampled.test' },
        primary: urls.primary,
        candidate: urls.sampledCandidate,
        sample: { percent: 10, bucketBy: 'header:x-user-id' },
        maxInFlight: 1000,
      },
    ]);
  });

  afterAll(async () => {
    agent.destroy();
    await proxy?.close();
    await fixtures?.close();
  });

  it('answers 502 in the standard error shape when the primary is down, and 404 for no route', async () => {
    const down = await send(`${proxy.url}/quotes/ABC`, { headers: { host: 'primary-down.test', 'x-request-id': 'req-1' } });
    expect(down.status).toBe(502);
    expect(JSON.parse(down.body.toString())).toEqual({
      error: { code: 'BAD_GATEWAY', message: 'the primary of route primary-down did not answer', details: [], requestId: 'req-1' },
    });
    const unmatched = await send(`${proxy.url}/x`, { headers: { host: 'nowhere.test' } });
    expect(unmatched.status).toBe(404);
    expect(JSON.parse(unmatched.body.toString()).error.code).toBe('NO_ROUTE');
    // Nothing was mirrored for a request the primary never answered.
    expect((await fixtures.requests('candidate')).filter((request) => request.url === '/quotes/ABC')).toEqual([]);
    expect((await fetchReport(proxy, 'primary-down')).totals).toMatchObject({ sampled: 1, compared: 0, skipped: { primaryIncomplete: 1 } });
  });

  it('does not mirror POST unless the route allows unsafe methods', async () => {
    const order = JSON.stringify({ symbol: 'ABC', quantity: 3 });
    const headers = { 'content-type': 'application/json' };
    const safe = await send(`${proxy.url}/orders`, { method: 'POST', headers: { ...headers, host: 'safe.test', 'x-order': 'safe' }, body: order });
    const unsafe = await send(`${proxy.url}/orders`, { method: 'POST', headers: { ...headers, host: 'unsafe.test', 'x-order': 'unsafe' }, body: order });
    expect([safe.status, unsafe.status]).toEqual([201, 201]);

    const primaryOrders = (await fixtures.requests('primary')).filter((request) => request.method === 'POST');
    expect(primaryOrders.map((request) => request.headers['x-order']).sort()).toEqual(['safe', 'unsafe']);
    expect(primaryOrders.every((request) => request.body === order)).toBe(true);

    expect((await fixtures.requests('candidate')).filter((request) => request.method === 'POST')).toEqual([]);
    const safeReport = await fetchReport(proxy, 'safe');
    expect(safeReport.totals).toMatchObject({ seen: 1, sampled: 0, skipped: { method: 1 } });

    await settled(proxy, 'unsafe');
    const shadowed = (await fixtures.requests('unsafeCandidate')).filter((request) => request.method === 'POST');
    expect(shadowed).toHaveLength(1);
    expect(shadowed[0]).toMatchObject({
      url: '/orders',
      body: order,
      headers: { 'x-switchyard-shadow': '1', 'x-order': 'unsafe', 'content-length': String(order.length) },
    });
    expect((await fetchReport(proxy, 'unsafe')).totals).toMatchObject({ compared: 1, mismatched: { raw: 0 } });
  });

  it('never sends scrubbed headers to the candidate, and redacts secrets in examples', async () => {
    const headers = { host: 'safe.test', cookie: 'session=s3cr3t', authorization: 'Bearer t0ken', 'x-internal-secret': 'hush', 'x-user-id': 'u-42' };
    for (let i = 0; i < 5; i++) expect((await send(`${proxy.url}/users/${i}`, { headers })).status).toBe(200);
    await settled(proxy, 'safe');

    const live = (await fixtures.requests('primary')).filter(
      (request) => request.url.startsWith('/users/') && request.headers['x-switchyard-shadow'] === undefined,
    );
    expect(live).toHaveLength(5);
    expect(live[0].headers).toMatchObject({ cookie: 'session=s3cr3t', authorization: 'Bearer t0ken', 'x-internal-secret': 'hush' });

    const shadows = (await fixtures.requests('candidate')).filter((request) => request.url.startsWith('/users/'));
    expect(shadows).toHaveLength(5);
    for (const shadow of shadows) {
      expect(shadow.headers).not.toHaveProperty('cookie');
      expect(shadow.headers).not.toHaveProperty('authorization');
      expect(shadow.headers).not.toHaveProperty('x-internal-secret');
      expect(shadow.headers).toMatchObject({ 'x-user-id': 'u-42', 'x-switchyard-shadow': '1', 'x-forwarded-host': 'safe.test' });
      expect(JSON.stringify(shadow)).not.toMatch(/s3cr3t|t0ken|hush/);
    }
    const report = await fetchReport(proxy, 'safe');
    const example = report.endpoints.flatMap((endpoint) => endpoint.fields).flatMap((field) => field.examples)[0];
    expect(example.request.headers).toMatchObject({
      cookie: '[redacted]',
      authorization: '[redacted]',
      'x-internal-secret': '[redacted]',
      'x-user-id': 'u-42',
    });
    expect(JSON.stringify(report)).not.toMatch(/s3cr3t|t0ken|hush/);
  });

  it(`samples 10% ± 2% of ${USERS} users, and the same user always gets the same decision`, async () => {
    await inBatches(USERS * REPEATS, 20, async (i) => {
      // Users cycle, so each is seen REPEATS times, far apart in time.
      const res = await send(`${proxy.url}/quotes/SYM${i % 7}`, { headers: { host: 'sampled.test', 'x-user-id': `user-${i % USERS}` }, agent });
      expect(res.status).toBe(200);
    });
    const report = await settled(proxy, 'sampled', 30_000);
    expect(report.totals.seen).toBe(USERS * REPEATS);
    expect(report.totals.skipped.budget).toBe(0);

    const mirrored = new Map<string, number>();
    for (const request of await fixtures.requests('sampledCandidate')) {
      const user = String(request.headers['x-user-id']);
      mirrored.set(user, (mirrored.get(user) ?? 0) + 1);
    }
    const share = mirrored.size / USERS;
    process.stdout.write(`sampling at 10%: ${mirrored.size} of ${USERS} users mirrored (${(share * 100).toFixed(2)}%)\n`);
    expect(share).toBeGreaterThanOrEqual(0.08);
    expect(share).toBeLessThanOrEqual(0.12);
    // Sticky: a mirrored user was mirrored on every one of their requests.
    expect([...mirrored.values()].every((count) => count === REPEATS)).toBe(true);
    expect(report.totals.sampled).toBe(mirrored.size * REPEATS);
  }, 60_000);
});
