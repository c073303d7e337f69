import type { EndpointReport } from '../api/deploy-types';
import { formatRate, latencyBars, prettyBody, showValue, sortEndpoints } from './mirror-report.model';

const endpoint = (name: string, afterNoise: number, raw: number, compared = 10): EndpointReport => ({
  endpoint: name,
  seen: compared,
  sampled: compared,
  compared,
  mismatched: { raw: 0, afterNoise: 0 },
  mismatchRate: { raw, afterNoise },
  fields: [],
  statusMatrix: {},
  latencyMs: {
    primary: { count: 0, p50: null, p95: null, p99: null },
    candidate: { count: 0, p50: null, p95: null, p99: null },
    difference: { count: 0, p50: null, p95: null, p99: null },
  },
  verdict: 'pass',
});

describe('mirror report model', () => {
  it('sorts endpoints by mismatch rate after noise, then raw, then traffic', () => {
    const sorted = sortEndpoints([endpoint('/a', 0, 0.5), endpoint('/b', 0.1, 0), endpoint('/c', 0, 0.5, 99), endpoint('/d', 0.1, 0.2)]);
    expect(sorted.map((e) => e.endpoint)).toEqual(['/d', '/b', '/c', '/a']);
  });

  it('formats fractions as percentages', () => {
    expect(formatRate(0)).toBe('0%');
    expect(formatRate(0.00001)).toBe('<0.01%');
    expect(formatRate(0.0123)).toBe('1.23%');
    expect(formatRate(0.5)).toBe('50.0%');
  });

  it('scales latency bars against the slowest percentile of either side', () => {
    const bars = latencyBars({ primary: { count: 5, p50: 10, p95: 20, p99: 40 }, candidate: { count: 5, p50: 20, p95: null, p99: 80 } }, 100);
    expect(bars).toHaveLength(6);
    expect(bars.find((b) => b.percentile === 'p99' && b.side === 'candidate')!.length).toBe(100);
    expect(bars.find((b) => b.percentile === 'p50' && b.side === 'primary')!.length).toBe(12.5);
    expect(bars.find((b) => b.percentile === 'p95' && b.side === 'candidate')).toEqual({ percentile: 'p95', side: 'candidate', value: null, length: 0 });
  });

  it('draws nothing when there is no latency yet', () => {
    const empty = { count: 0, p50: null, p95: null, p99: null };
    expect(latencyBars({ primary: empty, candidate: empty }).every((b) => b.length === 0)).toBe(true);
  });

  it('shows values and bodies readably', () => {
    expect(showValue(undefined)).toBe('(absent)');
    expect(showValue('1')).toBe('"1"');
    expect(prettyBody('{"a":1}')).toBe('{\n  "a": 1\n}');
    expect(prettyBody('<html>')).toBe('<html>');
  });
});
