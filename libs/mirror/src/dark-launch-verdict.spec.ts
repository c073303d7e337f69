import { darkLaunchVerdict, formatPercent } from './dark-launch-verdict';
import { MirrorAnalysis } from './mirror-analysis';
import { mirrorRouteSchema } from './mirror-route.schema';
import type { PreparedResponse } from './prepared-response';

const route = mirrorRouteSchema.parse({
  name: 'quotes',
  primary: 'http://quotes.quotes.svc',
  candidate: 'http://quotes-shadow.quotes.svc',
  secondary: 'http://quotes.quotes.svc',
  sample: { flag: 'mirror.quotes' },
  endpoints: ['/quotes/:symbol', '/users/:id'],
});

const json = (value: unknown): PreparedResponse =>
  ({ status: 200, headers: { 'content-type': 'application/json' }, body: { type: 'json', value } }) as PreparedResponse;

/** `n` exchanges on `path`; `differs(i)` says whether the candidate's price is off on exchange i. */
function exchanges(analysis: MirrorAnalysis, path: string, n: number, differs: (i: number) => boolean): void {
  for (let i = 0; i < n; i++) {
    const url = `${path}${i % 10}`;
    const endpoint = analysis.endpointOf('GET', url);
    analysis.recordSeen(endpoint);
    analysis.recordSampled(endpoint);
    analysis.record({
      endpoint,
      request: { method: 'GET', url, headers: {} },
      // The timestamp differs everywhere, also between two copies of the primary: noise, cancelled.
      primary: json({ price: 10, at: i }),
      candidate: json({ price: differs(i) ? 11 : 10, at: i + 1 }),
      baseline: json({ price: 10, at: i + 2 }),
      primaryMs: 1,
      candidateMs: 1,
    });
  }
}

const setting = { route: 'quotes', sample: 10, timeout: '10m' };

describe('darkLaunchVerdict', () => {
  it('fails on a field that differs beyond noise, naming the field, rate, count, endpoint and limit', () => {
    const analysis = new MirrorAnalysis(route);
    exchanges(analysis, '/quotes/S', 1200, (i) => i % 4 === 0);
    const verdict = darkLaunchVerdict(analysis.report(), { minCompared: 500, maxMismatchPercent: 0.1 }, setting);
    expect(verdict.outcome).toBe('fail');
    expect(verdict.reason).toBe('`$.price` differs in 25.0 % of 1,200 comparisons on GET /quotes/:symbol; the limit is 0.1 %');
    expect(verdict.compared).toBe(1200);
    expect(verdict.mismatchPercent).toBe(25);
    expect(verdict.endpoints).toEqual([{ endpoint: 'GET /quotes/:symbol', compared: 1200, mismatchPercent: 25, fields: [{ path: '$.price', percent: 25 }] }]);
  });

  it('passes when only noise differs', () => {
    const analysis = new MirrorAnalysis(route);
    exchanges(analysis, '/quotes/S', 600, () => false);
    const verdict = darkLaunchVerdict(analysis.report(), { minCompared: 500, maxMismatchPercent: 0.1 }, setting);
    expect(verdict).toMatchObject({ outcome: 'pass', compared: 600, mismatchPercent: 0 });
    expect(verdict.reason).toBe('0 % of 600 comparisons differ after noise cancellation; the limit is 0.1 %');
  });

  it('is insufficient-data below minCompared, however bad the comparisons so far, and says what to change', () => {
    const analysis = new MirrorAnalysis(route);
    exchanges(analysis, '/quotes/S', 120, () => true);
    const verdict = darkLaunchVerdict(analysis.report(), { minCompared: 500, maxMismatchPercent: 0.1 }, setting);
    expect(verdict.outcome).toBe('insufficient-data');
    expect(verdict.reason).toBe(
      'only 120 of the 500 comparisons needed arrived on route quotes within 10m (sampling 10.0 % of users); send more traffic through the proxy or raise sample, then approve to continue or abort',
    );
  });

  it('fails on one bad endpoint even when the route as a whole is under the limit', () => {
    const analysis = new MirrorAnalysis(route);
    exchanges(analysis, '/quotes/S', 2000, () => false);
    exchanges(analysis, '/users/U', 40, (i) => i % 2 === 0);
    const verdict = darkLaunchVerdict(analysis.report(), { minCompared: 500, maxMismatchPercent: 2 }, setting);
    expect(verdict.mismatchPercent).toBeLessThan(2);
    expect(verdict.outcome).toBe('fail');
    expect(verdict.endpoints[0]).toMatchObject({ endpoint: 'GET /users/:id', compared: 40, mismatchPercent: 50 });
    expect(verdict.reason).toBe('`$.price` differs in 50.0 % of 40 comparisons on GET /users/:id; the limit is 2.0 %');
  });

  it('formats percentages as people read them', () => {
    expect([0, 0.03, 0.1, 0.125, 1, 25].map(formatPercent)).toEqual(['0 %', '0.03 %', '0.1 %', '0.13 %', '1.0 %', '25.0 %']);
  });
});
