import type { IncomingMessage } from 'node:http';
import { bucketValue, FlagSampleDecider, PercentSampleDecider } from './sample-decider';

const request = (headers: Record<string, string>, url = '/', remoteAddress = '10.0.0.1') =>
  ({ headers, url, socket: { remoteAddress } }) as unknown as IncomingMessage;

describe('bucketValue', () => {
  it('reads headers, query parameters, cookies and the client address', () => {
    const req = request({ 'x-user-id': 'u1', cookie: 'a=1; sid=abc' }, '/q?user=u2&x=1');
    expect(bucketValue(req, 'header:X-User-Id')).toBe('u1');
    expect(bucketValue(req, 'query:user')).toBe('u2');
    expect(bucketValue(req, 'cookie:sid')).toBe('abc');
    expect(bucketValue(req, 'ip')).toBe('10.0.0.1');
    expect(bucketValue(req, 'header:absent')).toBeUndefined();
    expect(bucketValue(req, undefined)).toBeUndefined();
  });
});

describe('PercentSampleDecider', () => {
  it('samples 10% ± 2% of 5,000 users, and the same user always the same way', () => {
    const decider = new PercentSampleDecider('market-data', 10, 'header:x-user-id');
    let sampled = 0;
    for (let i = 0; i < 5000; i++) {
      const first = decider.sampled(request({ 'x-user-id': `user-${i}` }));
      if (first) sampled++;
      expect(decider.sampled(request({ 'x-user-id': `user-${i}` }))).toBe(first);
    }
    expect(sampled / 5000).toBeGreaterThanOrEqual(0.08);
    expect(sampled / 5000).toBeLessThanOrEqual(0.12);
  });

  it('samples nobody at 0 and everybody at 100', () => {
    expect(new PercentSampleDecider('r', 0, 'ip').sampled(request({}))).toBe(false);
    expect(new PercentSampleDecider('r', 100, 'ip').sampled(request({}))).toBe(true);
  });

  it('falls back to a random draw when the attribute is missing', () => {
    const draws = [0.05, 0.5];
    const decider = new PercentSampleDecider('r', 10, 'header:x-user-id', 'mirror', () => draws.shift() ?? 1);
    expect(decider.sampled(request({}))).toBe(true);
    expect(decider.sampled(request({}))).toBe(false);
  });
});

describe('FlagSampleDecider', () => {
  it("asks the flag evaluator with the user's key and fails closed", () => {
    const calls: unknown[] = [];
    const decider = new FlagSampleDecider('mirror.md', 'header:x-user-id', {
      getBooleanValue: (flag, fallback, context) => {
        calls.push([flag, fallback, context]);
        return context.targetingKey === 'vip';
      },
    });
    expect(decider.sampled(request({ 'x-user-id': 'vip' }))).toBe(true);
    expect(decider.sampled(request({ 'x-user-id': 'other' }))).toBe(false);
    expect(calls[0]).toEqual(['mirror.md', false, { targetingKey: 'vip' }]);
    expect(new FlagSampleDecider('f', undefined, undefined).sampled(request({}))).toBe(false);
    const throwing = new FlagSampleDecider('f', undefined, {
      getBooleanValue: () => {
        throw new Error('boom');
      },
    });
    expect(throwing.sampled(request({}))).toBe(false);
  });
});
