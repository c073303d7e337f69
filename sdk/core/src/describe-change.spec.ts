import {
  changeSentences,
  changesEveryEnvironment,
  describeEnvironmentChange,
  describeFlagChange,
  describeSegmentChange,
  formatWeight,
  restoredFlag,
  type DescribableEnvironment,
  type DescribableFlag,
} from './describe-change';
import type { Rule } from './types';

const ENVS = [
  { key: 'staging', name: 'Staging' },
  { key: 'production', name: 'Production' },
];

const split = (on: number, salt = 's1') => ({
  rollout: [
    { variant: 'on', weight: on },
    { variant: 'off', weight: 100000 - on },
  ],
  salt,
});

function env(overrides: Partial<DescribableEnvironment> = {}): DescribableEnvironment {
  return { enabled: false, offVariant: 'off', rules: [], defaultServe: { variant: 'on' }, ...overrides };
}

const nordics: Rule = {
  id: 'r1',
  description: 'Nordics',
  conditions: [{ attribute: 'country', operator: 'in', values: ['NO', 'SE'] }],
  serve: { variant: 'on' },
};

function flag(overrides: Partial<DescribableFlag> = {}): DescribableFlag {
  return {
    name: 'Checkout',
    description: 'New checkout',
    tags: ['checkout'],
    owner: 'payments',
    variants: { on: true, off: false },
    archived: false,
    environments: { staging: env(), production: env() },
    ...overrides,
  };
}

describe('describeEnvironmentChange', () => {
  it('says nothing when only bookkeeping differs', () => {
    const withBookkeeping = { ...env(), version: 7, updatedAt: 'yesterday' } as DescribableEnvironment;
    expect(describeEnvironmentChange(env(), withBookkeeping)).toEqual([]);
  });

  it('names turning on and off in capitals', () => {
    expect(describeEnvironmentChange(env(), env({ enabled: true }))).toEqual(['turns ON']);
    expect(describeEnvironmentChange(env({ enabled: true }), env())).toEqual(['turns OFF']);
  });

  it('gives rollout weights as percentages, only for variants that move', () => {
    expect(describeEnvironmentChange(env({ defaultServe: split(40000) }), env({ defaultServe: split(30000) }))).toEqual([
      'Default: on 40 % → 30 %, off 60 % → 70 %',
    ]);
    expect(describeEnvironmentChange(env({ defaultServe: split(12345) }), env({ defaultServe: split(12500) }))).toEqual([
      'Default: on 12.345 % → 12.5 %, off 87.655 % → 87.5 %',
    ]);
  });

  it('describes a switch between one variant and a split, and the bucketing attribute', () => {
    expect(describeEnvironmentChange(env(), env({ defaultServe: split(25000) }))).toEqual(['Default: on → on 25 %, off 75 %']);
    expect(describeEnvironmentChange(env({ defaultServe: split(25000) }), env({ defaultServe: { ...split(25000), bucketBy: 'accountId' } }))).toEqual([
      'Default: split by targetingKey → accountId',
    ]);
  });

  it('never shows salts, but says when a new salt re-buckets users', () => {
    const sentences = describeEnvironmentChange(env({ defaultServe: split(50000, 'a') }), env({ defaultServe: split(50000, 'b') }));
    expect(sentences).toEqual(['Default: users re-bucketed (same percentages)']);
    expect(sentences.join(' ')).not.toMatch(/\ba\b.*\bb\b|salt/);
  });

  it('names rules by description, or by position, never by id', () => {
    const anonymous: Rule = { id: 'x9', conditions: [{ attribute: 'plan', operator: 'eq', values: ['pro'] }], serve: split(10000) };
    expect(describeEnvironmentChange(env(), env({ rules: [nordics, anonymous] }))).toEqual([
      "Rule 'Nordics' added: country in NO, SE → on",
      'Rule 2 added: plan = pro → on 10 %, off 90 %',
    ]);
    expect(describeEnvironmentChange(env({ rules: [nordics, anonymous] }), env({ rules: [nordics] }))).toEqual(['Rule 2 removed']);
  });

  it('describes a condition whose values change as the list before and after', () => {
    const wider = { ...nordics, description: undefined, conditions: [{ attribute: 'country', operator: 'in' as const, values: ['NO', 'SE', 'DK'] }] };
    expect(describeEnvironmentChange(env({ rules: [{ ...nordics, description: undefined }] }), env({ rules: [wider] }))).toEqual([
      'Rule 1: country in NO, SE → NO, SE, DK',
    ]);
  });

  it('describes added, removed and replaced conditions, negation and case', () => {
    const base = { ...nordics, conditions: [{ attribute: 'country', operator: 'in' as const, values: ['NO'] }] };
    const more = {
      ...base,
      conditions: [...base.conditions, { attribute: 'email', operator: 'ends_with' as const, values: ['@x.io'], caseInsensitive: true }],
    };
    expect(describeEnvironmentChange(env({ rules: [base] }), env({ rules: [more] }))).toEqual([
      "Rule 'Nordics': condition added: email ends with @x.io (any case)",
    ]);
    expect(describeEnvironmentChange(env({ rules: [more] }), env({ rules: [base] }))).toEqual([
      "Rule 'Nordics': condition removed: email ends with @x.io (any case)",
    ]);
    const negated = { ...base, conditions: [{ ...base.conditions[0], negate: true }] };
    expect(describeEnvironmentChange(env({ rules: [base] }), env({ rules: [negated] }))).toEqual([
      "Rule 'Nordics': condition 'country in NO' → 'country not in NO'",
    ]);
    const segment = { ...base, conditions: [{ attribute: '', operator: 'in_segment' as const, values: ['beta'] }] };
    expect(describeEnvironmentChange(env({ rules: [base] }), env({ rules: [segment] }))).toEqual([
      "Rule 'Nordics': condition 'country in NO' → 'in segment beta'",
    ]);
  });

  it('shortens long value lists', () => {
    const many = Array.from({ length: 14 }, (_, i) => `c${i}`);
    const rule = { ...nordics, conditions: [{ attribute: 'country', operator: 'in' as const, values: many }] };
    expect(describeEnvironmentChange(env(), env({ rules: [rule] }))[0]).toBe(
      "Rule 'Nordics' added: country in c0, c1, c2, c3, c4, c5, c6, c7, c8, c9 and 4 more → on",
    );
  });

  it('reports moves among surviving rules, description and serve changes', () => {
    const other: Rule = { id: 'r2', conditions: [], serve: { variant: 'off' } };
    expect(describeEnvironmentChange(env({ rules: [nordics, other] }), env({ rules: [other, nordics] }))).toEqual([
      'Rule 1 moved from position 2 to 1',
      "Rule 'Nordics' moved from position 1 to 2",
    ]);
    // Deleting the first rule does not report the rest as moved.
    expect(describeEnvironmentChange(env({ rules: [nordics, other] }), env({ rules: [other] }))).toEqual(["Rule 'Nordics' removed"]);
    expect(describeEnvironmentChange(env({ rules: [nordics] }), env({ rules: [{ ...nordics, description: 'Nordics+', serve: split(40000) }] }))).toEqual([
      "Rule 'Nordics+': description 'Nordics' → 'Nordics+'",
      "Rule 'Nordics+': on → on 40 %, off 60 %",
    ]);
  });

  it('describes the off variant', () => {
    expect(describeEnvironmentChange(env(), env({ offVariant: 'on' }))).toEqual(['When off: off → on']);
  });

  it('describes prerequisites added, removed and with other variants, and keeps them when restoring', () => {
    const gate = { flag: 'gate', variants: ['on'] };
    expect(describeEnvironmentChange(env(), env({ prerequisites: [gate] }))).toEqual(['Prerequisite added: only when gate serves on']);
    expect(describeEnvironmentChange(env({ prerequisites: [gate] }), env())).toEqual(['Prerequisite removed: gate']);
    expect(describeEnvironmentChange(env({ prerequisites: [gate] }), env({ prerequisites: [{ flag: 'gate', variants: ['on', 'beta'] }] }))).toEqual([
      'Prerequisite gate: serves on → serves on or beta',
    ]);
    expect(describeEnvironmentChange(env(), env({ prerequisites: [] }))).toEqual([]);
    expect(describeEnvironmentChange(undefined, env({ prerequisites: [gate] }))).toEqual(['added, OFF', 'Prerequisite added: only when gate serves on']);
    const restored = restoredFlag(flag(), flag({ environments: { staging: env({ prerequisites: [gate] }) } }), 'staging');
    expect(restored.environments?.staging?.prerequisites).toEqual([gate]);
  });

  it('still names a difference its words do not cover', () => {
    const odd = env({ defaultServe: { variant: 'on', extra: 1 } as never });
    expect(describeEnvironmentChange(env(), odd)).not.toEqual([]);
    const reordered = { ...nordics, conditions: [{ values: ['NO', 'SE'], operator: 'in' as const, attribute: 'country' }] };
    expect(describeEnvironmentChange(env({ rules: [nordics] }), env({ rules: [reordered] }))).toEqual([]);
  });
});

describe('describeFlagChange', () => {
  it('groups by environment, in the given order, with display names, leaving out unchanged ones', () => {
    const after = flag({ environments: { staging: env({ enabled: true }), production: env({ defaultServe: split(30000) }) } });
    const description = describeFlagChange(flag(), after, ENVS);
    expect(description).toEqual({
      flag: [],
      environments: [
        { environment: 'staging', name: 'Staging', changes: ['turns ON'] },
        { environment: 'production', name: 'Production', changes: ['Default: on → on 30 %, off 70 %'] },
      ],
    });
    expect(changeSentences(description)).toEqual(['Staging: turns ON', 'Production: Default: on → on 30 %, off 70 %']);
    expect(describeFlagChange(flag(), flag(), ENVS)).toEqual({ flag: [], environments: [] });
  });

  it('describes the definition: name, description, tags, owner, variants, archiving', () => {
    const after = flag({
      name: 'Checkout v2',
      description: 'other',
      tags: [],
      owner: null,
      variants: { on: 'yes', off: false, blue: '#00f' },
      archived: true,
    });
    expect(describeFlagChange(flag(), after, ENVS).flag).toEqual([
      "Name: 'Checkout' → 'Checkout v2'",
      'Description changed',
      'Tags: checkout → none',
      'Owner: payments → none',
      'Variant \'on\': true → "yes"',
      'Variant \'blue\' added: "#00f"',
      'Archived',
    ]);
    expect(describeFlagChange(after, flag({ variants: { on: true } }), ENVS).flag).toContain("Variant 'off' removed");
  });

  it('describes a created flag by what differs from off with no rules', () => {
    const created = flag({ environments: { staging: env({ enabled: true, rules: [nordics] }), production: env() } });
    expect(changeSentences(describeFlagChange(undefined, created, ENVS))).toEqual([
      'Flag created',
      'Staging: turns ON',
      "Staging: Rule 'Nordics' added: country in NO, SE → on",
    ]);
  });

  it('uses the key when an environment has no known name', () => {
    expect(describeFlagChange(flag(), flag({ environments: { staging: env(), production: env(), qa: env({ enabled: true }) } }), ENVS).environments).toEqual([
      { environment: 'qa', name: 'qa', changes: ['added, ON'] },
    ]);
  });
});

describe('restoredFlag', () => {
  const current = flag({
    name: 'Now',
    archived: true,
    environments: { staging: env({ enabled: true }), production: env({ enabled: true, defaultServe: split(40000) }), development: env() },
  });
  const old = flag({ name: 'Then', environments: { staging: env(), production: env({ enabled: true, defaultServe: split(30000) }) } });

  it('restores the definition and every environment the old version has, never archived', () => {
    const restored = restoredFlag(current, old);
    expect(restored.name).toBe('Then');
    expect(restored.archived).toBe(false);
    expect(restored.environments?.development).toEqual(env());
    expect(changeSentences(describeFlagChange(current, restored, ENVS))).toEqual([
      "Name: 'Now' → 'Then'",
      'Unarchived',
      'Staging: turns OFF',
      'Production: Default: on 40 % → 30 %, off 60 % → 70 %',
    ]);
    expect(changesEveryEnvironment(current, restored)).toBe(true);
  });

  it('restores one environment only when asked', () => {
    const restored = restoredFlag(current, old, 'production');
    expect(restored.name).toBe('Now');
    expect(changeSentences(describeFlagChange(current, restored, ENVS))).toEqual(['Production: Default: on 40 % → 30 %, off 60 % → 70 %']);
    expect(changesEveryEnvironment(current, restored)).toBe(false);
  });
});

describe('describeSegmentChange', () => {
  it('describes conditions by position', () => {
    const before = { name: 'Beta', description: '', conditions: [{ attribute: 'country', operator: 'in' as const, values: ['NO'] }] };
    expect(describeSegmentChange(before, { ...before, conditions: [{ attribute: 'country', operator: 'in', values: ['NO', 'SE'] }] })).toEqual([
      'Conditions: country in NO → NO, SE',
    ]);
    expect(describeSegmentChange(before, { ...before, name: 'Beta 2', conditions: [] })).toEqual([
      "Name: 'Beta' → 'Beta 2'",
      'Conditions: condition removed: country in NO',
    ]);
    expect(describeSegmentChange(undefined, before)).toEqual(['Segment created']);
  });
});

it('formats weights as percentages', () => {
  expect(formatWeight(100000)).toBe('100 %');
  expect(formatWeight(333)).toBe('0.333 %');
});
