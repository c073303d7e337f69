import type { Measurement } from '../../../../libs/deploy/src/analysis/analysis.contract';
import type { EnvironmentPreview as GatePlan, Rollout } from '../../../../libs/deploy/src/rollout/rollout.contract';
import {
  formatDuration,
  formatMeasured,
  groupByMetric,
  polyline,
  rollbackMessage,
  scaleMetricChart,
  shortDigest,
  stageDuration,
  summarizePlan,
  testSummaryText,
  thresholdAt,
} from './release.model';

const measurement = (
  iteration: number,
  canary: number | null,
  stable: number | null,
  threshold: Measurement['threshold'],
  metric = 'error-rate',
): Measurement => ({
  iteration,
  metric,
  query: 'q',
  canary,
  stable,
  samples: 100,
  threshold,
  outcome: 'successful',
  reason: '',
  measuredAt: '2026-01-01T00:00:00Z',
});

describe('release model', () => {
  it('formats durations at CI granularity', () => {
    expect(formatDuration(null)).toBe('—');
    expect(formatDuration(850)).toBe('850 ms');
    expect(formatDuration(12_340)).toBe('12.3 s');
    expect(formatDuration(245_000)).toBe('4 min 05 s');
    expect(formatDuration(3_720_000)).toBe('1 h 02 min');
  });

  it('measures a running stage up to now and a finished one by its own numbers', () => {
    const startedAt = '2026-01-01T00:00:00.000Z';
    expect(stageDuration({ durationMs: 500, startedAt, finishedAt: null, status: 'succeeded' }, 0)).toBe(500);
    expect(stageDuration({ durationMs: null, startedAt, finishedAt: null, status: 'running' }, Date.parse(startedAt) + 3000)).toBe(3000);
    expect(stageDuration({ durationMs: null, startedAt: null, finishedAt: null, status: 'pending' }, 0)).toBeNull();
  });

  it('shortens digests and summarises tests', () => {
    expect(shortDigest(`sha256:${'a'.repeat(64)}`)).toBe('sha256:aaaaaaaaaaaa…');
    expect(shortDigest('abc')).toBe('abc');
    expect(testSummaryText({ tests: 10, passed: 7, failures: 2, errors: 1, skipped: 0, timeSeconds: 1.5, failedCases: [] })).toBe(
      '7/10 passed, 2 failed, 1 errors in 1.5 s',
    );
  });

  it('groups measurements per metric in iteration order', () => {
    const groups = groupByMetric([
      measurement(2, 1, 1, { minSamples: 1 }),
      measurement(1, 1, 1, { minSamples: 1 }, 'latency'),
      measurement(1, 1, 1, { minSamples: 1 }),
    ]);
    expect([...groups.keys()].sort()).toEqual(['error-rate', 'latency']);
    expect(groups.get('error-rate')!.map((m) => m.iteration)).toEqual([1, 2]);
  });

  it('puts the threshold at max, at stable × maxRatio, or at min', () => {
    expect(thresholdAt(measurement(1, 1, 2, { max: 5, minSamples: 1 }))).toBe(5);
    expect(thresholdAt(measurement(1, 1, 2, { maxRatio: 1.5, minSamples: 1 }))).toBe(3);
    expect(thresholdAt(measurement(1, 1, null, { maxRatio: 1.5, minSamples: 1 }))).toBeNull();
    expect(thresholdAt(measurement(1, 1, 2, { min: 0.9, minSamples: 1 }))).toBe(0.9);
  });

  it('draws the lower of max and stable × maxRatio, since the analysis fails a canary above either', () => {
    const both = { max: 0.01, maxRatio: 1.5, minSamples: 20 };
    expect(thresholdAt(measurement(1, 0.005, 0.004, both))).toBeCloseTo(0.006);
    expect(thresholdAt(measurement(1, 0.005, 0.02, both))).toBe(0.01);
    // Against a perfect stable track the ratio means nothing and max decides alone.
    expect(thresholdAt(measurement(1, 0.005, 0, both))).toBe(0.01);
    expect(thresholdAt(measurement(1, 0.005, null, both))).toBe(0.01);
    expect(thresholdAt(measurement(1, 0.005, null, { maxRatio: 1.5, min: 0.001, minSamples: 1 }))).toBeNull();
  });

  it('prints measured values to 3 significant digits', () => {
    expect(formatMeasured(0.0049999)).toBe('0.005');
    expect(formatMeasured(0.0060015)).toBe('0.006');
    expect(formatMeasured(1234.5678)).toBe('1230');
    expect(formatMeasured(0)).toBe('0');
    expect(formatMeasured(null)).toBe('—');
  });

  it('scales a metric into the box with headroom above the highest value', () => {
    const chart = scaleMetricChart([measurement(1, 0, 1, { max: 10, minSamples: 1 }), measurement(2, 5, 1, { max: 10, minSamples: 1 })], 100, 50, 0);
    expect(chart.yMax).toBeCloseTo(11);
    expect(chart.canary.map((p) => p.x)).toEqual([0, 100]);
    expect(chart.canary[0].y).toBe(50);
    expect(chart.threshold[0].y).toBeCloseTo(50 - (10 / 11) * 50, 1);
    expect(chart.thresholdLabel).toBe('max 10');
    expect(polyline(chart.canary)).toMatch(/^0,50 100,/);
  });

  it('centres a single measurement and survives all-zero values', () => {
    const chart = scaleMetricChart([measurement(1, 0, 0, { minSamples: 1 })], 100, 50, 0);
    expect(chart.yMax).toBe(1);
    expect(chart.canary).toEqual([{ x: 50, y: 50, value: 0 }]);
    expect(chart.threshold).toEqual([]);
  });

  it('says what became of a rollback started from the page', () => {
    const steps = [{ environment: 'production' }] as Rollout['steps'];
    expect(rollbackMessage({ status: 'running', version: 'main.1', steps, error: null })).toBe('Rolling production back to main.1…');
    expect(rollbackMessage({ status: 'succeeded', version: 'main.1', steps, error: null })).toBe('production rolled back to main.1.');
    expect(rollbackMessage({ status: 'failed', version: 'main.1', steps, error: 'quotes did not become ready in 5m' })).toBe(
      'Rollback of production to main.1 failed: quotes did not become ready in 5m',
    );
    expect(rollbackMessage({ status: 'superseded', version: 'main.1', steps, error: null })).toBe('Rollback of production to main.1 superseded.');
  });

  it('summarises a gate plan: each object by action, an update by its fields, and the canary analysis', () => {
    const plan: GatePlan = {
      environment: 'production',
      namespace: 'quotes-prod',
      namespaceExists: true,
      approval: 'required',
      canary: {
        deployment: 'quotes-canary',
        replicas: 1,
        analysis: {
          interval: '1s',
          iterations: 2,
          minSamples: 20,
          failureLimit: 0,
          metrics: [{ name: 'error-rate', query: 'q', max: 0.01, compare: { to: 'stable', maxRatio: 1.5 } }],
        },
      },
      objects: [
        {
          kind: 'Deployment',
          name: 'quotes',
          namespace: 'quotes-prod',
          action: 'update',
          changes: [
            { path: 'spec.template.spec.containers[quotes].image', before: 'r/quotes@sha256:01', after: 'r/quotes@sha256:02' },
            { path: 'metadata.annotations.switchyard.dev/version', before: undefined, after: 'main.2' },
            { path: 'spec.replicas', before: 2, after: 3 },
          ],
        },
        { kind: 'Deployment', name: 'quotes-canary', namespace: 'quotes-prod', action: 'create', changes: [{ path: 'spec.replicas', before: undefined, after: 1 }] },
        { kind: 'Service', name: 'quotes', namespace: 'quotes-prod', action: 'unchanged', changes: [], error: 'Service/quotes: immutable field' },
      ],
    };
    expect(summarizePlan(plan, 2)).toEqual({
      namespace: 'quotes-prod',
      objects: [
        {
          title: 'update Deployment/quotes',
          changes: [
            'spec.template.spec.containers[quotes].image: r/quotes@sha256:01 → r/quotes@sha256:02',
            'metadata.annotations.switchyard.dev/version: (none) → main.2',
          ],
          more: 1,
        },
        { title: 'create Deployment/quotes-canary', changes: [], more: 0 },
        { title: 'unchanged Service/quotes', changes: [], more: 0, error: 'Service/quotes: immutable field' },
      ],
      canary:
        'Canary quotes-canary (1 replica), analysed 2 × 1s with at least 20 requests, failing after 1 failed iteration: error-rate (max 0.01, ≤ 1.5× stable)',
    });
    const firstDeploy = { ...plan, canary: { ...plan.canary!, skipped: 'no stable Deployment quotes yet' } };
    expect(summarizePlan(firstDeploy)?.canary).toBe('No canary: no stable Deployment quotes yet');
    expect(summarizePlan(null)).toBeNull();
  });
});
