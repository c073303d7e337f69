import http from 'node:http';
import type { RunningProxy } from '../../../apps/proxy/src/proxy-app';
import { inBatches, send, startFixtures, type Fixtures } from './fixture-services';
import { fetchReport, settled, startTestProxy } from './proxy-under-test';

const ROUNDS = 40;
const PATHS = ['page', 'form', 'feed', 'logo', 'moved'];

/**
 * Non-JSON bodies through a real proxy: every upstream answer carries its own timestamp and nonce.
 * Against a candidate that differs only in those, noise cancellation (a second primary) must leave
 * nothing; against one that changes a heading, a form value, an XML price, image bytes and a
 * redirect, exactly those must be reported, under paths that work as ignore rules.
 */
describe('mirror report: diffs for HTML, text, form, XML, headers, status and binary', () => {
  let fixtures: Fixtures<'primary' | 'secondary' | 'matching' | 'changed'>;
  let proxy: RunningProxy;
  const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });

  const route = (name: string, candidate: string) => ({
    name,
    match: { host: `${name}.test` },
    primary: fixtures.urls.primary,
    secondary: fixtures.urls.secondary,
    candidate,
    sample: { percent: 100 },
    maxInFlight: 1000,
    endpoints: PATHS.map((path) => `/content/${path}/:id`),
    verdict: { minCompared: 50, maxMismatchPercent: 1 },
  });

  beforeAll(async () => {
    fixtures = await startFixtures({ primary: 'primary', secondary: 'primary', matching: 'match', changed: 'changed' });
    proxy = await startTestProxy([route('same', fixtures.urls.matching), route('changed', fixtures.urls.changed)]);
    await inBatches(ROUNDS * PATHS.length, 8, async (i) => {
      const path = `/content/${PATHS[i % PATHS.length]}/${i}`;
      for (const host of ['same.test', 'changed.test']) {
        const res = await send(`${proxy.url}${path}`, { headers: { host }, agent });
        expect(res.status).toBe(PATHS[i % PATHS.length] === 'moved' ? 302 : 200);
      }
    });
  }, 60_000);

  afterAll(async () => {
    agent.destroy();
    await proxy?.close();
    await fixtures?.close();
  });

  it('timestamps, nonces and CSRF tokens cancel out as noise: the unchanged candidate matches', async () => {
    await settled(proxy, 'same');
    const report = await fetchReport(proxy, 'same');
    expect(report).toMatchObject({ verdict: 'pass', totals: { compared: ROUNDS * PATHS.length, mismatched: { afterNoise: 0 } } });
    const page = report.endpoints.find((endpoint) => endpoint.endpoint === 'GET /content/page/:id')!;
    expect(page.mismatched.raw).toBe(ROUNDS);
    expect(page.fields.map((field) => field.field).sort()).toEqual(['html:/html/body/form/input/@value', 'html:/html/body/p', 'html:/html/head/script/@nonce']);
    expect(report.suggestedIgnores.map((suggestion) => suggestion.rule)).toEqual(
      expect.arrayContaining(['html:/html/head/script/@nonce', 'html:/html/body/p', 'form:token', 'xml:/feed/updated']),
    );
  });

  it('the changed candidate is reported exactly where it changed, with the heading’s line', async () => {
    await settled(proxy, 'changed');
    const report = await fetchReport(proxy, 'changed');
    expect(report.verdict).toBe('fail');
    const significant = Object.fromEntries(
      report.endpoints.map((endpoint) => [
        endpoint.endpoint,
        endpoint.fields
          .filter((field) => field.significant)
          .map((field) => field.field)
          .sort(),
      ]),
    );
    expect(significant).toEqual({
      'GET /content/page/:id': ['html:/html/body/h1'],
      'GET /content/form/:id': ['form:plan'],
      'GET /content/feed/:id': ['xml:/feed/entry[2]/price'],
      'GET /content/logo/:id': ['body'],
      'GET /content/moved/:id': ['header:location', 'status'],
    });
    const heading = report.endpoints.find((endpoint) => endpoint.endpoint === 'GET /content/page/:id')!.fields[0];
    expect(heading.examples[0]).toMatchObject({ path: 'html:/html/body/h1 (line 5)', primary: 'Orders', candidate: 'Your orders' });
    const logo = report.endpoints.find((endpoint) => endpoint.endpoint === 'GET /content/logo/:id')!.fields[0];
    expect(logo.examples[0]).toMatchObject({ primary: { format: 'binary', length: 10 }, candidate: { format: 'binary', length: 11 } });
  });
});
