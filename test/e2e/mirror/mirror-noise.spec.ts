import http from 'node:http';
import type { RunningProxy } from '../../../apps/proxy/src/proxy-app';
import { inBatches, send, startFixtures, type Fixtures } from './fixture-services';
import { fetchReport, settled, startTestProxy } from './proxy-under-test';

const QUOTES = 120;
const USERS = 80;

/**
 * Candidates (a) and (b) behind real proxies: (a) differs from the primary only in a timestamp
 * and a request id, which noise cancellation must remove; (b) also changes the price on one
 * endpoint, which must be reported — exactly that field, on exactly that endpoint.
 */
describe('mirror report: noise cancellation against real upstreams', () => {
  let fixtures: Fixtures<'primary' | 'secondary' | 'matching' | 'changed'>;
  let proxy: RunningProxy;
  const agent = new http.Agent({ keepAlive: true, maxSockets: 16 });

  const route = (name: string, pathPrefix: string, candidate: string, withSecondary: boolean) => ({
    name,
    match: { pathPrefix },
    primary: fixtures.urls.primary,
    candidate,
    ...(withSecondary ? { secondary: fixtures.urls.secondary } : { compare: { headers: ['content-type'], calibration: { percent: 10, minPerEndpoint: 20 } } }),
    sample: { percent: 100 },
    maxInFlight: 1000,
    // Every copy must be compared: a loaded CI machine can queue a shadow call past the 2 s default,
    // which skips it unsent (a timeout, not a difference) and would leave the counts short.
    timeoutMs: 15_000,
    endpoints: ['/quotes/:symbol', '/users/:id'],
    verdict: { minCompared: 150, maxMismatchPercent: 0.1 },
    ...(withSecondary ? { compare: { headers: ['content-type'] } } : {}),
  });

  beforeAll(async () => {
    fixtures = await startFixtures({ primary: 'primary', secondary: 'primary', matching: 'match', changed: 'changed' });
    const { matching, changed } = fixtures.urls;
    // Routes are told apart by host; every route sees the same traffic.
    proxy = await startTestProxy([
      { ...route('a-secondary', '/', matching, true), match: { host: 'a-secondary.test' } },
      { ...route('b-secondary', '/', changed, true), match: { host: 'b-secondary.test' } },
      { ...route('a-calibrated', '/', matching, false), match: { host: 'a-calibrated.test' } },
      { ...route('b-calibrated', '/', changed, false), match: { host: 'b-calibrated.test' } },
    ]);
    const hosts = ['a-secondary.test', 'b-secondary.test', 'a-calibrated.test', 'b-calibrated.test'];
    await inBatches(QUOTES + USERS, 8, async (i) => {
      const path = i < QUOTES ? `/quotes/SYM${i % 40}` : `/users/${1000 + i}`;
      for (const host of hosts) {
        const res = await send(`${proxy.url}${path}`, { headers: { host, 'accept-encoding': i % 2 ? 'gzip' : 'identity', 'x-user-id': `u${i}` }, agent });
        expect(res.status).toBe(200);
      }
    });
  }, 60_000);

  afterAll(async () => {
    agent.destroy();
    await proxy?.close();
    await fixtures?.close();
  });

  it('(a) with a secondary: timestamp and request id cancel out, nothing is reported', async () => {
    await settled(proxy, 'a-secondary');
    const report = await fetchReport(proxy, 'a-secondary');
    expect(report).toMatchObject({
      noiseSource: 'secondary',
      verdict: 'pass',
      totals: { seen: 200, sampled: 200, compared: 200, mismatched: { raw: 200, afterNoise: 0 } },
    });
    for (const endpoint of report.endpoints) {
      expect(endpoint.fields.filter((field) => field.significant)).toEqual([]);
      expect(endpoint.fields.map((field) => field.field).sort()).toEqual(['$.requestId', '$.timestamp']);
    }
  });

  it('(b) with a secondary: exactly the price on /quotes/:symbol, with examples', async () => {
    await settled(proxy, 'b-secondary');
    const report = await fetchReport(proxy, 'b-secondary');
    expect(report.verdict).toBe('fail');
    const quotes = report.endpoints.find((endpoint) => endpoint.endpoint === 'GET /quotes/:symbol')!;
    const users = report.endpoints.find((endpoint) => endpoint.endpoint === 'GET /users/:id')!;
    expect(report.endpoints[0].endpoint).toBe('GET /quotes/:symbol'); // sorted by mismatch after noise
    expect(quotes).toMatchObject({
      compared: QUOTES,
      mismatched: { raw: QUOTES, afterNoise: QUOTES },
      mismatchRate: { afterNoise: 1 },
      statusMatrix: { '200': { '200': QUOTES } },
    });
    const significant = quotes.fields.filter((field) => field.significant);
    expect(significant).toHaveLength(1);
    expect(significant[0]).toMatchObject({ field: '$.price', raw: QUOTES, noise: 0, kinds: { value: QUOTES } });
    const example = significant[0].examples[0];
    expect(example.path).toBe('$.price');
    expect(example.candidate).toBeCloseTo((example.primary as number) + 1, 5);
    expect(JSON.parse(example.responses.primary.body)).toMatchObject({ price: example.primary });
    expect(users).toMatchObject({ compared: USERS, mismatched: { afterNoise: 0 } });
    expect(users.fields.some((field) => field.significant)).toBe(false);
  });

  it('(a) without a secondary: calibration against the primary removes the noise and suggests ignore rules', async () => {
    await settled(proxy, 'a-calibrated');
    const report = await fetchReport(proxy, 'a-calibrated');
    expect(report).toMatchObject({ noiseSource: 'calibration', verdict: 'pass', totals: { compared: 200, mismatched: { afterNoise: 0 } } });
    for (const endpoint of report.endpoints) expect(endpoint.noiseCompared).toBeGreaterThanOrEqual(20);
    expect(report.suggestedIgnores.map((suggestion) => suggestion.rule).sort()).toEqual(['$.requestId', '$.timestamp']);
    const timestamp = report.suggestedIgnores.find((suggestion) => suggestion.rule === '$.timestamp')!;
    expect(timestamp.endpoints.sort()).toEqual(['GET /quotes/:symbol', 'GET /users/:id']);
    expect(timestamp.evidence.rate).toBe(1);
    expect(timestamp.evidence.examples[0]).toEqual({ primary: expect.any(Number), other: expect.any(Number) });
  });

  it('(b) without a secondary: still exactly the price', async () => {
    await settled(proxy, 'b-calibrated');
    const report = await fetchReport(proxy, 'b-calibrated');
    const significant = report.endpoints.flatMap((endpoint) =>
      endpoint.fields.filter((field) => field.significant).map((field) => `${endpoint.endpoint} ${field.field}`),
    );
    expect(significant).toEqual(['GET /quotes/:symbol $.price']);
    expect(report.totals.mismatched.afterNoise).toBe(QUOTES);
  });

  it('the candidate got a shadow copy of every request, marked as such; the primary got live and calibration traffic', async () => {
    const shadows = (await fixtures.requests('matching')).filter((request) => request.headers['x-switchyard-shadow'] === '1');
    expect(shadows).toHaveLength(2 * (QUOTES + USERS));
    expect(shadows.every((request) => request.headers.host === new URL(fixtures.urls.matching).host)).toBe(true);
    const primaryRequests = await fixtures.requests('primary');
    const calibrations = primaryRequests.filter((request) => request.headers['x-switchyard-shadow'] === '1');
    expect(calibrations.length).toBeGreaterThanOrEqual(4 * 20);
    expect(primaryRequests.length - calibrations.length).toBe(4 * (QUOTES + USERS));
  });

  it('exports the counters on /metrics', async () => {
    const text = await (await fetch(`${proxy.adminUrl}/metrics`)).text();
    expect(text).toMatch(/switchyard_mirror_requests_total\{route="b-secondary",outcome="compared"\} 200/);
    expect(text).toMatch(new RegExp(`switchyard_mirror_mismatches_total\\{route="b-secondary",endpoint="GET /quotes/:symbol"\\} ${QUOTES}`));
    expect(text).toMatch(/switchyard_mirror_shadow_duration_seconds_count\{route="a-secondary",target="secondary",result="ok"\} 200/);
  });
});
