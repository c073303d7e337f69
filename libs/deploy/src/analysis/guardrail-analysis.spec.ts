import type { GuardrailSpec } from '../pipeline/pipeline-spec';
import type { Measurement } from './canary-analysis';
import { decideGuardrailVerdict, guardrailQueries } from './guardrail-analysis';

const spec: GuardrailSpec = {
  minSamples: 0,
  failureLimit: 0,
  metrics: [{ name: 'errors', query: 'sum(rate(errors_total{service="{{service}}",flag="{{flag}}"}[1m]))', max: 0.01 }],
};

const measurement = (iteration: number, outcome: Measurement['outcome'], reason: string = outcome): Measurement => ({
  iteration,
  metric: 'errors',
  query: 'q',
  canary: outcome === 'failed' ? 0.5 : 0,
  stable: null,
  samples: null,
  threshold: { max: 0.01, minSamples: 0 },
  outcome,
  reason,
  measuredAt: '2026-12-07T16:00:00.000Z',
});

describe('guardrails of a flag release', () => {
  it('renders {{flag}} once per flag, and queries without it once', () => {
    const queries = guardrailQueries(
      { ...spec, minSamples: 10, metrics: [...spec.metrics, { name: 'latency', query: 'p99{service="{{service}}",env="{{environment}}"}', max: 1 }] },
      { service: 'quotes', environment: 'production', namespace: 'quotes', flags: ['a', 'b'], percent: 10 },
    );
    expect(queries).toEqual([
      { metric: 'samples', query: 'sum(increase(http_requests_total{service="quotes"}[1m]))' },
      { metric: 'errors', flag: 'a', query: 'sum(rate(errors_total{service="quotes",flag="a"}[1m]))' },
      { metric: 'errors', flag: 'b', query: 'sum(rate(errors_total{service="quotes",flag="b"}[1m]))' },
      { metric: 'latency', query: 'p99{service="quotes",env="production"}' },
    ]);
  });

  it('judges the step just measured: failed trips, inconclusive asks a person, else successful', () => {
    expect(decideGuardrailVerdict(spec, [measurement(0, 'successful')], 0)).toMatchObject({ verdict: 'Successful', iterations: 1 });
    expect(decideGuardrailVerdict(spec, [measurement(0, 'successful'), measurement(1, 'failed', 'errors 0.5 is above max 0.01')], 1)).toMatchObject({
      verdict: 'Failed',
      metric: 'errors',
      values: { canary: 0.5 },
      failures: 1,
    });
    // An approved inconclusive step does not hold the next one.
    expect(decideGuardrailVerdict(spec, [measurement(0, 'inconclusive'), measurement(1, 'successful')], 1)).toMatchObject({ verdict: 'Successful' });
    expect(decideGuardrailVerdict(spec, [measurement(0, 'successful'), measurement(1, 'inconclusive', 'no data')], 1)).toMatchObject({
      verdict: 'Inconclusive',
      reason: 'no data — a person decides',
    });
  });

  it('tolerates failed steps up to failureLimit', () => {
    const tolerant = { ...spec, failureLimit: 1 };
    expect(decideGuardrailVerdict(tolerant, [measurement(0, 'failed')], 0)).toMatchObject({ verdict: 'Successful', failures: 1 });
    expect(decideGuardrailVerdict(tolerant, [measurement(0, 'failed'), measurement(1, 'failed')], 1)).toMatchObject({ verdict: 'Failed', failures: 2 });
  });
});
