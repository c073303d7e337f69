import type { AnalysisSpec, MetricSpec } from '../pipeline/pipeline-spec';
import { decideVerdict, judge, renderQuery, type Measurement } from './canary-analysis';

const ERROR_RATE: MetricSpec = { name: 'error-rate', query: 'q', max: 0.01, compare: { to: 'stable', maxRatio: 1.5 } };
const value = (v: number) => ({ kind: 'value' as const, value: v });
const none = { kind: 'no-data' as const, detail: 'the query returned no series' };

describe('judge', () => {
  it('fails on the absolute bound first, naming the value and the threshold', () => {
    expect(judge(ERROR_RATE, 50, value(0.05), value(0.001), value(900))).toEqual({ outcome: 'failed', reason: 'error-rate 0.05 is above max 0.01' });
  });

  it('fails on the ratio to the stable track', () => {
    expect(judge(ERROR_RATE, 50, value(0.008), value(0.002), value(900))).toEqual({
      outcome: 'failed',
      reason: "error-rate 0.008 is 4× the stable track's 0.002, above maxRatio 1.5",
    });
    expect(judge(ERROR_RATE, 50, value(0.002), value(0.002), value(900)).outcome).toBe('successful');
  });

  it('is inconclusive with too few samples or no data, never failed', () => {
    expect(judge(ERROR_RATE, 50, value(0.5), value(0.001), value(12))).toEqual({
      outcome: 'inconclusive',
      reason: 'the canary served 12 requests, fewer than minSamples 50',
    });
    expect(judge(ERROR_RATE, 50, none, value(0.001), value(900)).outcome).toBe('inconclusive');
    expect(judge(ERROR_RATE, 50, value(0.001), none, value(900)).outcome).toBe('inconclusive');
    expect(judge(ERROR_RATE, 50, value(0.001), value(0.001), none).outcome).toBe('inconclusive');
  });

  it('lets the absolute bound decide when the stable track is perfect', () => {
    expect(judge(ERROR_RATE, 0, value(0.005), value(0), undefined).outcome).toBe('successful');
    expect(judge({ ...ERROR_RATE, max: undefined }, 0, value(0.005), value(0), undefined).outcome).toBe('failed');
  });
});

describe('decideVerdict', () => {
  const spec: AnalysisSpec = { interval: '1s', iterations: 3, minSamples: 50, failureLimit: 1, metrics: [ERROR_RATE] };
  const m = (iteration: number, outcome: Measurement['outcome'], canary = 0.001): Measurement => ({
    iteration,
    metric: 'error-rate',
    query: 'sum(rate(…{track="canary"}))',
    canary,
    stable: 0.001,
    samples: 900,
    threshold: { max: 0.01, maxRatio: 1.5, minSamples: 50 },
    outcome,
    reason: `reason ${iteration}`,
    measuredAt: '2026-01-01T00:00:00.000Z',
  });

  it('goes on until the last iteration, then is Successful when all passed', () => {
    expect(decideVerdict(spec, [m(1, 'successful'), m(2, 'successful')])).toBeUndefined();
    expect(decideVerdict(spec, [m(1, 'successful'), m(2, 'successful'), m(3, 'successful')])).toMatchObject({
      verdict: 'Successful',
      iterations: 3,
      failures: 0,
    });
  });

  it('fails as soon as failures exceed failureLimit, naming metric, query, values and threshold', () => {
    expect(decideVerdict(spec, [m(1, 'failed', 0.05)])).toBeUndefined();
    expect(decideVerdict(spec, [m(1, 'failed', 0.05), m(2, 'failed', 0.06)])).toEqual({
      verdict: 'Failed',
      metric: 'error-rate',
      query: 'sum(rate(…{track="canary"}))',
      values: { canary: 0.06, stable: 0.001, samples: 900 },
      threshold: { max: 0.01, maxRatio: 1.5, minSamples: 50 },
      reason: 'reason 2 (query: sum(rate(…{track="canary"}))); 2 failed iterations, failureLimit 1',
      iterations: 2,
      failures: 2,
      inconclusive: 0,
    });
  });

  it('is Inconclusive when an iteration proved nothing, and tolerates failures within the limit', () => {
    expect(decideVerdict(spec, [m(1, 'inconclusive'), m(2, 'successful'), m(3, 'successful')])).toMatchObject({
      verdict: 'Inconclusive',
      metric: 'error-rate',
    });
    expect(decideVerdict(spec, [m(1, 'failed'), m(2, 'successful'), m(3, 'successful')])).toMatchObject({ verdict: 'Successful', failures: 1 });
  });
});

describe('renderQuery', () => {
  it('fills {{service}}, {{track}}, {{environment}} and {{namespace}}', () => {
    expect(
      renderQuery('x{service="{{service}}",track="{{ track }}",env="{{environment}}",ns="{{namespace}}"}', {
        service: 'api',
        track: 'canary',
        environment: 'production',
        namespace: 'prod',
      }),
    ).toBe('x{service="api",track="canary",env="production",ns="prod"}');
  });
});
