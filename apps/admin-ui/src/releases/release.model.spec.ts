import type { Measurement } from '../api/deploy-types';
import { formatDuration, groupByMetric, polyline, scaleMetricChart, shortDigest, stageDuration, testSummaryText, thresholdAt } from './release.model';

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
});
