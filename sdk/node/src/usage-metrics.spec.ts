import { compileSnapshot } from '@switchyard/core';
import { booleanFlag } from './protocol-server.fixture';
import { splitPayload, UsageMetrics } from './usage-metrics';

const compiled = compileSnapshot({
  environment: 'production',
  version: 1,
  segments: {},
  flags: {
    a: booleanFlag('a', true),
    b: booleanFlag('b', false),
    split: {
      ...booleanFlag('split', true),
      rules: [{ id: 'no', conditions: [{ attribute: 'country', operator: 'in', values: ['NO'] }], serve: { variant: 'on' } }],
      defaultServe: { variant: 'off' },
    },
  },
});

const sorted = (counts: Array<{ flag: string; variant: string | null; count: number }>) =>
  [...counts].sort((x, y) => `${x.flag}/${x.variant}`.localeCompare(`${y.flag}/${y.variant}`));

describe('UsageMetrics', () => {
  it('counts evaluations per flag and variant, merging results that share a variant', () => {
    const usage = new UsageMetrics(100);
    for (let i = 0; i < 5; i++) usage.record('a', compiled.evaluate('a', {}, 'boolean'));
    for (let i = 0; i < 3; i++) usage.record('b', compiled.evaluate('b', {}, 'boolean'));
    // Same variant "on" via the rule and "off" via the default: two result objects, two variants.
    usage.record('split', compiled.evaluate('split', { country: 'NO' }, 'boolean'));
    usage.record('split', compiled.evaluate('split', { country: 'SE' }, 'boolean'));
    usage.record('split', compiled.evaluate('split', { country: 'DK' }, 'boolean'));
    usage.record('missing', compiled.evaluate('missing', {}, 'boolean'));
    usage.record('missing', compiled.evaluate('missing', {}, 'boolean'));
    usage.recordName('early', null);
    const payload = usage.take(Date.parse('2025-01-01T00:00:30Z'))!;
    expect(sorted(payload.counts)).toEqual([
      { flag: 'a', variant: 'on', count: 5 },
      { flag: 'b', variant: 'off', count: 3 },
      { flag: 'early', variant: null, count: 1 },
      { flag: 'missing', variant: null, count: 2 },
      { flag: 'split', variant: 'off', count: 2 },
      { flag: 'split', variant: 'on', count: 1 },
    ]);
    expect(payload.end).toBe('2025-01-01T00:00:30.000Z');
    expect(usage.take()).toBeUndefined();
  });

  it('attributes a shared result object to the flag that was asked for', () => {
    const usage = new UsageMetrics(100);
    const result = compiled.evaluate('a', {}, 'boolean');
    usage.record('a', result);
    usage.record('alias', result);
    expect(sorted(usage.take()!.counts)).toEqual([
      { flag: 'a', variant: 'on', count: 1 },
      { flag: 'alias', variant: 'on', count: 1 },
    ]);
  });

  it('stays within its bound and counts what it dropped', () => {
    const usage = new UsageMetrics(2);
    usage.record('a', compiled.evaluate('a', {}, 'boolean'));
    usage.record('b', compiled.evaluate('b', {}, 'boolean'));
    for (let i = 0; i < 10; i++) usage.record(`missing-${i}`, compiled.evaluate(`missing-${i}`, {}, 'boolean'));
    usage.record('a', compiled.evaluate('a', {}, 'boolean'));
    expect(usage.pending).toBe(2);
    expect(usage.dropped).toBe(10);
    expect(usage.take()!.counts).toHaveLength(2);
  });

  it('splits large payloads into posts of at most 1000 entries', () => {
    const counts = Array.from({ length: 2500 }, (_, i) => ({ flag: `f${i}`, variant: 'on', count: 1 }));
    const parts = splitPayload({ start: 's', end: 'e', counts });
    expect(parts.map((p) => p.counts.length)).toEqual([1000, 1000, 500]);
    expect(parts.every((p) => p.start === 's' && p.end === 'e')).toBe(true);
  });
});
