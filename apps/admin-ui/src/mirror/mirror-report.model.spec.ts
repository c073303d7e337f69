import type { EndpointReport, SuggestedIgnore, Verdict as MirrorVerdict } from '../../../../libs/mirror/src/mirror-report.contract';
import {
  endpointOpenByDefault,
  fieldKind,
  formatRate,
  ignoreEvidence,
  ignoreExamples,
  latencyBars,
  prettyBody,
  showValue,
  skippedByReason,
  sortEndpoints,
  summarizeStatuses,
} from './mirror-report.model';

const endpoint = (name: string, afterNoise: number, raw: number, compared = 10, verdict: MirrorVerdict = 'pass'): EndpointReport => ({
  endpoint: name,
  seen: compared,
  sampled: compared,
  compared,
  noiseCompared: compared,
  skipped: { method: 0, bodyTooLarge: 0, budget: 0, overload: 0, breaker: 0, candidateTimeout: 0, candidateError: 0, primaryIncomplete: 0 },
  mismatched: { raw: 0, afterNoise: 0 },
  mismatchRate: { raw, afterNoise },
  fields: [],
  statusMatrix: {},
  latencyMs: {
    primary: { count: 0, p50: null, p95: null, p99: null },
    candidate: { count: 0, p50: null, p95: null, p99: null },
    difference: { count: 0, p50: null, p95: null, p99: null },
  },
  verdict,
});

describe('mirror report model', () => {
  it('names what a field points into, for JSON and the other content types', () => {
    expect(
      ['$.price', 'html:/html/body/h1', 'xml:/root/item[2]/price', 'text:line[12]', 'form:csrf', 'header:location', 'status', 'body'].map(fieldKind),
    ).toEqual(['JSON', 'HTML element', 'XML element', 'text line', 'form key', 'header', 'status', 'whole body']);
  });

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

  it('opens the worst failing endpoint, and none when nothing fails', () => {
    const failing = sortEndpoints([endpoint('/a', 0, 0.5), endpoint('/b', 0.4, 0.4, 10, 'fail'), endpoint('/c', 0.2, 0.2, 10, 'fail')]);
    expect(endpointOpenByDefault(failing)).toBe('/b');
    // Too few comparisons for a verdict: first by rate, but not the one to look at.
    expect(endpointOpenByDefault(sortEndpoints([endpoint('/few', 0.5, 0.5, 2, 'insufficient-data'), endpoint('/b', 0.4, 0.4, 10, 'fail')]))).toBe('/b');
    expect(endpointOpenByDefault([endpoint('/a', 0, 0.5), endpoint('/b', 0, 0.1)])).toBeUndefined();
    expect(endpointOpenByDefault([])).toBeUndefined();
  });

  it('says "all 200 → 200" for one unchanged status, and gives the table otherwise', () => {
    expect(summarizeStatuses({})).toEqual({ kind: 'none' });
    expect(summarizeStatuses({ '200': { '200': 36 } })).toEqual({ kind: 'uniform', text: 'all 200 → 200' });
    // One cell, but the candidate answers differently: that is the news, so it gets the table.
    expect(summarizeStatuses({ '200': { '500': 3 } })).toEqual({ kind: 'matrix', primary: ['200'], candidate: ['500'], counts: [[3]] });
    expect(summarizeStatuses({ '404': { '404': 2 }, '200': { '503': 1, '200': 30 } })).toEqual({
      kind: 'matrix',
      primary: ['200', '404'],
      candidate: ['200', '404', '503'],
      counts: [
        [30, 0, 1],
        [0, 2, 0],
      ],
    });
    // Empty cells (a count of 0) are not statuses anyone saw.
    expect(summarizeStatuses({ '200': { '200': 5, '500': 0 } })).toEqual({ kind: 'uniform', text: 'all 200 → 200' });
  });

  it('lists only the skip reasons that happened, in the report order, in words', () => {
    expect(skippedByReason(endpoint('/a', 0, 0).skipped)).toEqual([]);
    const skips = skippedByReason({ ...endpoint('/a', 0, 0).skipped, candidateTimeout: 2, overload: 7 });
    expect(skips.map((skip) => [skip.reason, skip.label, skip.count])).toEqual([
      ['overload', 'proxy overloaded', 7],
      ['candidateTimeout', 'candidate timeout', 2],
    ]);
    expect(skips[0].hint).toBe('the proxy shed shadow copies while its event loop was saturated');
  });

  it('shows a suggested ignore rule with its evidence and at most three short example pairs', () => {
    const suggestion: SuggestedIgnore = {
      rule: '$.requestId',
      endpoints: ['GET /quotes/:symbol', 'GET /users/:id'],
      evidence: {
        differing: 35,
        baselinePairs: 36,
        rate: 0.9722,
        examples: [
          { primary: 'r1', other: 'r2' },
          { primary: 'x'.repeat(100), other: undefined },
          { primary: 3, other: { id: 4 } },
          { primary: 'r5', other: 'r6' },
        ],
      },
    };
    expect(ignoreEvidence(suggestion)).toBe('35 of 36 baseline pairs (97.2%)');
    expect(ignoreExamples(suggestion)).toEqual([
      { primary: '"r1"', other: '"r2"' },
      { primary: `"${'x'.repeat(46)}…`, other: '(absent)' },
      { primary: '3', other: '{"id":4}' },
    ]);
  });
});
