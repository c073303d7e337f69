import { gzipSync } from 'node:zlib';
import { MirrorAnalysis } from './mirror-analysis';
import { mirrorRouteSchema, type MirrorRouteInput } from './mirror-route.schema';
import type { PreparedResponse } from './prepared-response';
import { REDACTED } from './secret-redactor';

const route = (overrides: Partial<MirrorRouteInput> = {}) =>
  mirrorRouteSchema.parse({
    name: 'market-data',
    primary: 'http://primary',
    candidate: 'http://candidate',
    secondary: 'http://secondary',
    sample: { percent: 100 },
    endpoints: ['/quotes/:symbol'],
    compare: { headers: ['content-type'] },
    verdict: { minCompared: 50, maxMismatchPercent: 1 },
    ...overrides,
  });

let clock = 0;
const json = (value: unknown, status = 200): PreparedResponse => ({ status, headers: { 'content-type': 'application/json' }, body: { type: 'json', value } });
const quote = (symbol: string, price: number) => json({ symbol, price, timestamp: ++clock, requestId: `r${clock}` });
const request = (url: string) => ({ method: 'GET', url, headers: { authorization: 'Bearer secret', 'x-user-id': 'u1' } });

describe('MirrorAnalysis', () => {
  it('cancels fields that also differ between two primaries and keeps the real difference', () => {
    const analysis = new MirrorAnalysis(route());
    for (let i = 0; i < 100; i++) {
      const quotes = analysis.endpointOf('GET', `/quotes/S${i}`);
      analysis.recordSeen(quotes);
      analysis.recordSampled(quotes);
      analysis.record({
        endpoint: quotes,
        request: request(`/quotes/S${i}`),
        primary: quote(`S${i}`, i),
        candidate: quote(`S${i}`, i + 1),
        baseline: quote(`S${i}`, i),
        primaryMs: 2,
        candidateMs: 3,
      });
      const users = analysis.endpointOf('GET', `/users/${i}`);
      analysis.recordSeen(users);
      analysis.recordSampled(users);
      analysis.record({
        endpoint: users,
        request: request(`/users/${i}`),
        primary: quote('u', 1),
        candidate: quote('u', 1),
        baseline: quote('u', 1),
        primaryMs: 1,
        candidateMs: 1,
      });
    }
    const report = analysis.report();
    const [quotes, users] = report.endpoints;
    expect(quotes).toMatchObject({
      endpoint: 'GET /quotes/:symbol',
      seen: 100,
      sampled: 100,
      compared: 100,
      noiseCompared: 100,
      mismatched: { raw: 100, afterNoise: 100 },
      verdict: 'fail',
    });
    expect(quotes.fields.filter((f) => f.significant).map((f) => f.field)).toEqual(['$.price']);
    expect(quotes.fields.find((f) => f.field === '$.timestamp')).toMatchObject({ raw: 100, noise: 100, significant: false });
    expect(users).toMatchObject({
      endpoint: 'GET /users/:id',
      mismatched: { raw: 100, afterNoise: 0 },
      mismatchRate: { raw: 1, afterNoise: 0 },
      verdict: 'pass',
    });
    expect(report).toMatchObject({
      verdict: 'fail',
      noiseSource: 'secondary',
      totals: { compared: 200, mismatched: { raw: 200, afterNoise: 100 }, mismatchRate: { raw: 1, afterNoise: 0.5 } },
    });
    expect(report.suggestedIgnores.map((s) => s.rule)).toEqual(['$.requestId', '$.timestamp']);
  });

  it('keeps bounded, redacted examples with both responses', () => {
    const analysis = new MirrorAnalysis(route({ scrubHeaders: ['x-user-id'] }));
    for (let i = 0; i < 10; i++) {
      analysis.record({
        endpoint: 'GET /quotes/:symbol',
        request: { method: 'GET', url: '/quotes/A?token=abc', headers: { authorization: 'Bearer s', 'x-user-id': 'u1', accept: '*/*' } },
        primary: json({ price: 1, password: 'p' }),
        candidate: json({ price: 2, password: 'q' }),
        primaryMs: 1,
        candidateMs: 1,
      });
    }
    const fields = analysis.report().endpoints[0].fields;
    const field = fields.find((f) => f.field === '$.price')!;
    expect(field.examples).toHaveLength(3);
    expect(fields.find((f) => f.field === '$.password')!.examples[0]).toMatchObject({ primary: REDACTED, candidate: REDACTED });
    expect(field.examples[0]).toMatchObject({
      path: '$.price',
      kind: 'value',
      primary: 1,
      candidate: 2,
      request: { url: `/quotes/A?token=${REDACTED}`, headers: { authorization: REDACTED, 'x-user-id': REDACTED, accept: '*/*' } },
      responses: { primary: { status: 200, body: `{"price":1,"password":"${REDACTED}"}` }, candidate: { body: `{"price":2,"password":"${REDACTED}"}` } },
    });
  });

  it('builds the status matrix, latency percentiles and skip counts', () => {
    const analysis = new MirrorAnalysis(route());
    const endpoint = 'GET /quotes/:symbol';
    for (let i = 1; i <= 100; i++) {
      analysis.record({
        endpoint,
        request: request('/quotes/A'),
        primary: json({}, 200),
        candidate: json({}, i <= 5 ? 500 : 200),
        primaryMs: i,
        candidateMs: i + 10,
        baseline: json({}, 200),
      });
    }
    analysis.recordSkipped(endpoint, 'budget');
    analysis.recordSkipped(endpoint, 'breaker');
    const report = analysis.report();
    expect(report.endpoints[0]).toMatchObject({
      statusMatrix: { '200': { '200': 95, '500': 5 } },
      latencyMs: { primary: { count: 100, p50: 50, p95: 95, p99: 99 }, candidate: { p50: 60 }, difference: { p50: 10, p99: 10 } },
      skipped: { budget: 1, breaker: 1, method: 0 },
      mismatched: { raw: 5, afterNoise: 5 },
    });
    expect(report.totals.skipped).toMatchObject({ budget: 1, breaker: 1 });
  });

  it('decides the verdict against the route thresholds', () => {
    const analysis = new MirrorAnalysis(route({ verdict: { minCompared: 10, maxMismatchPercent: 10 } }));
    const endpoint = 'GET /a';
    const once = (differs: boolean) =>
      analysis.record({
        endpoint,
        request: request('/a'),
        primary: json({ v: 1 }),
        candidate: json({ v: differs ? 2 : 1 }),
        baseline: json({ v: 1 }),
        primaryMs: 1,
        candidateMs: 1,
      });
    for (let i = 0; i < 9; i++) once(false);
    expect(analysis.report().verdict).toBe('insufficient-data');
    once(false);
    expect(analysis.report().verdict).toBe('pass');
    once(true);
    once(true);
    expect(analysis.report()).toMatchObject({ verdict: 'fail', totals: { compared: 12, mismatched: { afterNoise: 2 } } });
  });

  it('without a secondary, calibrates against the primary and suggests ignore rules with evidence', () => {
    const analysis = new MirrorAnalysis(route({ secondary: undefined, compare: { calibration: { percent: 10, minPerEndpoint: 5 } } }));
    const endpoint = analysis.endpointOf('GET', '/quotes/A');
    let calibrated = 0;
    for (let i = 0; i < 200; i++) {
      analysis.recordSampled(endpoint);
      const baseline = analysis.claimCalibration(endpoint) ? quote('A', 1) : undefined;
      if (baseline) calibrated++;
      analysis.record({ endpoint, request: request('/quotes/A'), primary: quote('A', 1), candidate: quote('A', 1), baseline, primaryMs: 1, candidateMs: 1 });
    }
    expect(calibrated).toBe(5 + 20);
    const report = analysis.report();
    expect(report.noiseSource).toBe('calibration');
    expect(report.endpoints[0]).toMatchObject({ compared: 200, noiseCompared: 25, mismatched: { raw: 200, afterNoise: 0 } });
    expect(report.endpoints[0].fields.find((f) => f.field === '$.timestamp')).toMatchObject({ raw: 200, noise: 200, significant: false });
    expect(report.suggestedIgnores[0]).toMatchObject({
      rule: '$.requestId',
      endpoints: ['GET /quotes/:symbol'],
      evidence: { differing: 25, baselinePairs: 25, rate: 1 },
    });
    expect(report.suggestedIgnores[0].evidence.examples).toHaveLength(3);
    expect(report.suggestedIgnores[0].evidence.examples[0]).toEqual({ primary: expect.stringMatching(/^r\d+$/), other: expect.stringMatching(/^r\d+$/) });
  });

  it('decodes captured bodies and skips one that inflates past the limit', async () => {
    const analysis = new MirrorAnalysis(route({ maxBodyBytes: 1024 }));
    const endpoint = 'GET /a';
    const body = gzipSync(JSON.stringify({ v: 1 }));
    const ok = await analysis.recordCaptured({
      endpoint,
      request: request('/a'),
      primary: { status: 200, headers: { 'content-encoding': 'gzip', 'content-type': 'application/json' }, body },
      candidate: { status: 200, headers: { 'content-type': 'application/json' }, body: Buffer.from('{"v":2}') },
      primaryMs: 1,
      candidateMs: 1,
    });
    expect(ok).toMatchObject({ compared: true, mismatch: true, differences: [{ path: '$.v' }] });
    const bomb = await analysis.recordCaptured({
      endpoint,
      request: request('/a'),
      primary: { status: 200, headers: { 'content-encoding': 'gzip' }, body: gzipSync(Buffer.alloc(1 << 20)) },
      candidate: { status: 200, headers: {}, body: Buffer.alloc(0) },
      primaryMs: 1,
      candidateMs: 1,
    });
    expect(bomb).toEqual({ compared: false, skipped: 'bodyTooLarge' });
    expect(analysis.report().endpoints[0]).toMatchObject({ compared: 1, skipped: { bodyTooLarge: 1 } });
  });

  it('counts byte-identical exchanges as compared without a difference, and still diffs the rest', async () => {
    const analysis = new MirrorAnalysis(route());
    const endpoint = 'GET /quotes/:symbol';
    const same = Buffer.from('{"symbol":"A","price":1}');
    const captured = (body: Buffer, status = 200) => ({ status, headers: { 'content-type': 'application/json' }, body });
    for (let i = 0; i < 3; i++) {
      const outcome = await analysis.recordCaptured({
        endpoint,
        request: request('/quotes/A'),
        primary: captured(same),
        candidate: captured(Buffer.from(same)),
        baseline: captured(Buffer.from(same)),
        primaryMs: 2,
        candidateMs: 5,
      });
      expect(outcome).toEqual({ compared: true, mismatch: false, differences: [] });
    }
    const differing = await analysis.recordCaptured({
      endpoint,
      request: request('/quotes/A'),
      primary: captured(same),
      candidate: captured(Buffer.from('{"symbol":"A","price":2}')),
      baseline: captured(Buffer.from(same)),
      primaryMs: 2,
      candidateMs: 5,
    });
    expect(differing).toMatchObject({ compared: true, mismatch: true, differences: [{ path: '$.price', kind: 'value', primary: 1, candidate: 2 }] });
    const [report] = analysis.report().endpoints;
    expect(report).toMatchObject({ compared: 4, statusMatrix: { '200': { '200': 4 } } });
    expect(report.fields).toEqual([expect.objectContaining({ field: '$.price', raw: 1, noise: 0 })]);
    expect(report.latencyMs.candidate.p50).toBe(5);
  });

  it('pools fields past the per-endpoint cap', () => {
    const analysis = new MirrorAnalysis(route(), { limits: { maxFieldsPerEndpoint: 3 } });
    const wide = (offset: number) => json(Object.fromEntries(Array.from({ length: 10 }, (_, i) => [`k${i}`, i + offset])));
    analysis.record({ endpoint: 'GET /a', request: request('/a'), primary: wide(0), candidate: wide(1), primaryMs: 1, candidateMs: 1 });
    expect(analysis.report().endpoints[0].fields.map((f) => f.field)).toEqual(['(other fields)', '$.k0', '$.k1', '$.k2']);
  });
});
