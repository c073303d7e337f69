import { describeChange, instantOf, patchOf } from './schedule-change.model';

describe('scheduled change form model', () => {
  it('turns a rollout step into the environment patch the API takes', () => {
    expect(patchOf({ kind: 'rollout', variant: 'on', percent: 25, rest: 'off' })).toEqual({
      enabled: true,
      defaultServe: {
        rollout: [
          { variant: 'on', weight: 25_000 },
          { variant: 'off', weight: 75_000 },
        ],
      },
    });
    expect(patchOf({ kind: 'rollout', variant: 'on', percent: 100, rest: 'off' })).toEqual({ enabled: true, defaultServe: { variant: 'on' } });
    expect(patchOf({ kind: 'on' })).toEqual({ enabled: true });
  });

  it('describes a change in a few words', () => {
    expect(describeChange(patchOf({ kind: 'rollout', variant: 'on', percent: 50, rest: 'off' }))).toBe('turn on, roll out on 50 % / off 50 %');
    expect(describeChange({ enabled: false })).toBe('turn off');
  });

  it('reads a local date-time as an instant, and nothing from an empty field', () => {
    expect(instantOf('')).toBeUndefined();
    expect(instantOf('2026-03-02T09:00')).toBe(new Date('2026-03-02T09:00').toISOString());
  });
});
