import { describeChangeEvent, kindOfAction, linkOfChange, parseLookback, serviceOfEvent } from './change-timeline';

const event = (fields: Partial<Parameters<typeof linkOfChange>[0]> & { action: string; target: string }) => ({
  environment: 'production',
  before: null,
  after: null,
  meta: {},
  service: null,
  ...fields,
});

describe('the timeline reading of audit events', () => {
  it('gives every action of the release loop its kind, specific actions before their family', () => {
    expect(kindOfAction('flag.toggled')).toBe('flag');
    expect(kindOfAction('rollout.gate.approved')).toBe('approval');
    expect(kindOfAction('rollout.verdict')).toBe('verdict');
    expect(kindOfAction('rollout.dark-launch.verdict')).toBe('verdict');
    expect(kindOfAction('rollout.dark-launch.started')).toBe('dark-launch');
    expect(kindOfAction('rollout.flag-release.tripped')).toBe('guardrail');
    expect(kindOfAction('rollout.flag-release.step')).toBe('flag-release');
    expect(kindOfAction('rollout.applied')).toBe('rollout');
    expect(kindOfAction('rollout.aborted')).toBe('abort');
    expect(kindOfAction('environment.rolled-back')).toBe('rollback');
    expect(kindOfAction('environment.updated')).toBe('environment');
    expect(kindOfAction('mirror-route.created')).toBe('mirror-route');
    expect(kindOfAction('mirror.route.deleted')).toBe('mirror-route');
    expect(kindOfAction('mirror.verdict')).toBe('mirror-verdict');
    expect(kindOfAction('release-policy.updated')).toBe('policy');
    expect(kindOfAction('release.stage.started')).toBe('release');
    expect(kindOfAction('something.new')).toBe('other');
  });

  it('finds the service in meta or in the target, never in a flag environment', () => {
    expect(serviceOfEvent({ target: 'release:quotes/abc', meta: {} })).toBe('quotes');
    expect(serviceOfEvent({ target: 'environment:quotes/production' })).toBe('quotes');
    expect(serviceOfEvent({ target: 'service:quotes' })).toBe('quotes');
    expect(serviceOfEvent({ target: 'mirror-route:quotes', meta: { service: 'pricing' } })).toBe('pricing');
    expect(serviceOfEvent({ target: 'environment:production' })).toBeNull();
    expect(serviceOfEvent({ target: 'flag:checkout' })).toBeNull();
  });

  it('links to the flag, the release, the rollback target and the dark-launch report', () => {
    expect(linkOfChange(event({ action: 'flag.toggled', target: 'flag:checkout.new' }))).toBe('/flags/checkout.new?environment=production');
    expect(linkOfChange(event({ action: 'rollout.verdict', target: 'release:quotes/r-1' }))).toBe('/releases/r-1');
    expect(linkOfChange(event({ action: 'environment.rolled-back', target: 'environment:quotes/production', after: { releaseId: 'r-0' } }))).toBe(
      '/releases/r-0',
    );
    expect(
      linkOfChange(
        event({ action: 'rollout.dark-launch.verdict', target: 'release:quotes/r-1', after: { verdict: { reportUrl: '/dark-launch?route=quotes' } } }),
      ),
    ).toBe('/dark-launch?route=quotes');
    // Only a path inside the UI is a link; anything else falls back to the release.
    expect(linkOfChange(event({ action: 'rollout.dark-launch.verdict', target: 'release:quotes/r-1', after: { reportUrl: '//evil.example' } }))).toBe(
      '/releases/r-1',
    );
    expect(linkOfChange(event({ action: 'mirror-route.updated', target: 'mirror-route:quotes' }))).toBe('/dark-launch?route=quotes');
    expect(linkOfChange(event({ action: 'release-policy.updated', target: 'service:quotes' }))).toBe('/releases/policy?service=quotes');
  });

  it('keeps the writer’s sentences and writes its own for the engine’s events', () => {
    expect(describeChangeEvent({ ...event({ action: 'flag.toggled', target: 'flag:x' }), summary: ['Production: turns OFF'] })).toEqual([
      'Production: turns OFF',
    ]);
    expect(
      describeChangeEvent({
        ...event({ action: 'rollout.verdict', target: 'release:quotes/r-1', service: 'quotes', after: { verdict: 'Failed', reason: 'error rate 4 % > 1 %' } }),
        summary: [],
      }),
    ).toEqual(['Canary verdict in production: Failed: error rate 4 % > 1 %']);
    expect(
      describeChangeEvent({
        ...event({ action: 'rollout.flag-release.tripped', target: 'release:quotes/r-1', after: { flag: 'quotes.new-pricing', reason: 'p99 1.2 s > 0.5 s' } }),
        summary: [],
      }),
    ).toEqual(['Guardrail tripped in production on quotes.new-pricing; the flag went back to where it was: p99 1.2 s > 0.5 s']);
  });

  it('reads 30m, 2h and 7d back from now and refuses anything else', () => {
    const now = new Date('2026-01-01T12:00:00Z');
    expect(parseLookback('30m', now)?.toISOString()).toBe('2026-01-01T11:30:00.000Z');
    expect(parseLookback('2h', now)?.toISOString()).toBe('2026-01-01T10:00:00.000Z');
    expect(parseLookback('7d', now)?.toISOString()).toBe('2025-12-25T12:00:00.000Z');
    for (const bad of ['0m', '30', 'm', '-5m', '1.5h', '30 m', '1w']) expect(parseLookback(bad, now)).toBeUndefined();
  });
});
