import { mergeReservoirs, mergeRouteAggregates, buildRouteReport } from './mirror-aggregate';
import { MirrorAnalysis } from './mirror-analysis';
import { mirrorRouteSchema } from './mirror-route.schema';
import type { PreparedResponse } from './prepared-response';

const route = mirrorRouteSchema.parse({
  name: 'quotes',
  primary: 'http://primary.test',
  candidate: 'http://candidate.test',
  secondary: 'http://secondary.test',
  sample: { percent: 100 },
  endpoints: ['/quotes/:symbol'],
  verdict: { minCompared: 10 },
});

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

describe('mirror aggregates', () => {
  it('drained batches merge into the same report as one undrained run', () => {
    const whole = new MirrorAnalysis(route);
    const drained = new MirrorAnalysis(route);
    const batches = [];
    for (let i = 0; i < 30; i++) {
      record(whole, i);
      record(drained, i);
      if (i % 7 === 6) batches.push(drained.drain());
    }
    batches.push(drained.drain());
    expect(drained.aggregate().endpoints).toEqual([]);
    const merged = buildRouteReport(route, mergeRouteAggregates('quotes', batches));
    const expected = whole.report();
    expect(merged.totals).toEqual(expected.totals);
    expect(merged.verdict).toBe('fail');
    expect(merged.endpoints[0].fields.map((field) => [field.field, field.raw, field.noise, field.significant])).toEqual(
      expected.endpoints[0].fields.map((field) => [field.field, field.raw, field.noise, field.significant]),
    );
    expect(merged.endpoints[0].latencyMs).toEqual(expected.endpoints[0].latencyMs);
    // Examples stay bounded however many batches are merged.
    expect(merged.endpoints[0].fields.find((field) => field.field === '$.price')!.examples.length).toBeLessThanOrEqual(3);
  });

  it('merges latency samples within capacity, weighted by what each side saw', () => {
    const merged = mergeReservoirs({ seen: 300, values: Array(100).fill(1) }, { seen: 100, values: Array(100).fill(2) }, 100, () => 0);
    expect(merged.seen).toBe(400);
    expect(merged.values).toHaveLength(100);
    expect(merged.values.filter((value) => value === 1)).toHaveLength(75);
  });
});
