import { MirrorAnalysis, mirrorRouteSchema, type PreparedResponse, type RouteAggregate } from '@switchyard/mirror';
import type { RouteState } from './proxy-app';
import { mergeWorkerStates } from './cluster-report-merge';

const route = mirrorRouteSchema.parse({
  name: 'quotes',
  primary: 'http://primary.test',
  candidate: 'http://candidate.test',
  secondary: 'http://secondary.test',
  sample: { percent: 100 },
  endpoints: ['/quotes/:symbol'],
  verdict: { minCompared: 10 },
});
const other = mirrorRouteSchema.parse({ ...route, name: 'accounts', match: { pathPrefix: '/accounts' } });

const json = (value: unknown): PreparedResponse =>
  ({ status: 200, headers: { 'content-type': 'application/json' }, body: { type: 'json', value } }) as PreparedResponse;

function record(analysis: MirrorAnalysis, i: number): void {
  const endpoint = analysis.endpointOf('GET', `/quotes/S${i}`);
  analysis.recordSeen(endpoint);
  analysis.recordSampled(endpoint);
  analysis.record({
    endpoint,
    request: { method: 'GET', url: `/quotes/S${i}`, headers: {} },
    primary: json({ price: 1, at: i }),
    candidate: json({ price: i % 2 ? 2 : 1, at: i + 1 }),
    baseline: json({ price: 1, at: i + 2 }),
    primaryMs: 1 + i,
    candidateMs: 2 + i,
  });
}

describe('mergeWorkerStates', () => {
  it('gives the report one proxy would give for all the workers’ traffic', () => {
    const whole = new MirrorAnalysis(route);
    const workers = [new MirrorAnalysis(route), new MirrorAnalysis(route)];
    for (let i = 0; i < 30; i++) {
      record(whole, i);
      record(workers[i % 2], i);
    }
    const states: RouteState[][] = workers.map((analysis) => [{ route, aggregate: analysis.aggregate() }]);
    const merged = mergeWorkerStates(states).routes;
    const expected = whole.report();
    expect(merged).toHaveLength(1);
    expect(merged[0].totals).toEqual(expected.totals);
    expect(merged[0].verdict).toBe(expected.verdict);
    expect(merged[0].endpoints[0].fields.map((field) => [field.field, field.raw, field.significant])).toEqual(
      expected.endpoints[0].fields.map((field) => [field.field, field.raw, field.significant]),
    );
    expect(merged[0].endpoints[0].latencyMs.primary.count).toBe(30);
  });

  it('keeps routes apart, filters by name, and reports the most tripped breaker with all opens', () => {
    const aggregate = (name: string, breaker?: RouteAggregate['breaker']): RouteAggregate => ({
      route: name,
      since: '2026-01-01T00:00:00.000Z',
      endpoints: [],
      ...(breaker ? { breaker } : {}),
    });
    const states: RouteState[][] = [
      [
        { route, aggregate: aggregate('quotes', { state: 'closed', opens: 1, lastOpenedAt: '2026-01-01T00:05:00.000Z' }) },
        { route: other, aggregate: aggregate('accounts') },
      ],
      [{ route, aggregate: aggregate('quotes', { state: 'open', opens: 2, lastOpenedAt: '2026-01-01T00:01:00.000Z', reason: 'timeouts' }) }],
    ];
    const all = mergeWorkerStates(states).routes;
    expect(all.map((report) => report.route)).toEqual(['quotes', 'accounts']);
    expect(all[0].breaker).toEqual({ state: 'open', opens: 3, lastOpenedAt: '2026-01-01T00:01:00.000Z', reason: 'timeouts' });
    expect(mergeWorkerStates(states, 'accounts').routes.map((report) => report.route)).toEqual(['accounts']);
    expect(mergeWorkerStates(states, 'nope').routes).toEqual([]);
    expect(mergeWorkerStates([]).routes).toEqual([]);
  });
});
