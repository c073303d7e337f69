import { evaluate, type EnvironmentConfig } from '@switchyard/core';
import {
  buildTargeting,
  draftOf,
  moveRule,
  newRule,
  prerequisiteChoices,
  prerequisiteOn,
  removeRule,
  toggleVariant,
  withMode,
  type TargetingDraft,
} from './targeting.model';

const flag = { key: 'checkout', type: 'boolean' as const, variants: { on: true, off: false } };
const variants = ['on', 'off'];
const base: EnvironmentConfig = { enabled: true, offVariant: 'off', rules: [], defaultServe: { variant: 'on' }, version: 1 };

function withNorwayRule(): TargetingDraft {
  const draft = draftOf(base, variants);
  const rule = newRule(variants);
  rule.conditions[0] = { ...rule.conditions[0], attribute: 'country', operator: 'in', text: 'NO' };
  rule.serve = {
    ...withMode(rule.serve, 'rollout', variants),
    rows: [
      { variant: 'on', percent: '30' },
      { variant: 'off', percent: '70' },
    ],
  };
  return { ...draft, rules: [rule] };
}

describe('targeting draft', () => {
  it('builds the PATCH body and the config the preview evaluates', () => {
    const built = buildTargeting(withNorwayRule(), flag, true, {});
    expect(built.problems).toEqual([]);
    const rule = built.patch!.rules![0];
    expect(rule).not.toHaveProperty('id');
    expect(rule.conditions).toEqual([{ attribute: 'country', operator: 'in', values: ['NO'] }]);
    expect(rule.serve).toMatchObject({
      rollout: [
        { variant: 'on', weight: 30000 },
        { variant: 'off', weight: 70000 },
      ],
    });
    expect((rule.serve as { salt: string }).salt).toMatch(/^[\w-]{8}$/);
    // The preview evaluates exactly what will be saved: a Norwegian user lands in the rollout.
    const result = evaluate(flag, built.config!, { targetingKey: 'user-1', country: 'NO' });
    expect(result.reason).toBe('SPLIT');
    expect(evaluate(flag, built.config!, { targetingKey: 'user-1', country: 'SE' })).toMatchObject({ variant: 'on', reason: 'DEFAULT' });
  });

  it('refuses a rollout that does not add up to 100% and names the field', () => {
    const draft = withNorwayRule();
    draft.rules[0].serve.rows = [
      { variant: 'on', percent: '30' },
      { variant: 'off', percent: '60' },
    ];
    const built = buildTargeting(draft, flag, true, {});
    expect(built.patch).toBeUndefined();
    expect(built.problems).toEqual([{ path: 'rules[0].serve.rollout', problem: 'the percentages add up to 90%; they must add up to exactly 100%' }]);
  });

  it('reports typed-value problems at the condition’s value path', () => {
    const draft = withNorwayRule();
    draft.rules[0].conditions[0] = { ...draft.rules[0].conditions[0], operator: 'gt', text: 'many' };
    expect(buildTargeting(draft, flag, true, {}).problems).toEqual([{ path: 'rules[0].conditions[0].values', problem: 'must be a number, e.g. 30 or 2.5' }]);
  });

  it('runs the engine’s validator too (unknown segment)', () => {
    const draft = withNorwayRule();
    draft.rules[0].conditions[0] = { ...draft.rules[0].conditions[0], operator: 'in_segment', segments: ['ghosts'] };
    const built = buildTargeting(draft, flag, true, {});
    expect(built.problems).toHaveLength(1);
    expect(built.problems[0].path).toBe('rules[0].conditions[0].values[0]');
  });

  it('keeps existing rule ids and salts, and reorders and deletes rules', () => {
    const saved: EnvironmentConfig = {
      ...base,
      rules: [
        { id: 'a', conditions: [], serve: { variant: 'off' } },
        { id: 'b', conditions: [], serve: { rollout: [{ variant: 'on', weight: 100000 }], salt: 'keep-me' } },
      ],
    };
    const draft = draftOf(saved, variants);
    const moved = moveRule(draft, 1, -1);
    const built = buildTargeting(moved, flag, true, {});
    expect(built.patch!.rules!.map((r) => r.id)).toEqual(['b', 'a']);
    expect(built.patch!.rules![0].serve).toEqual({ rollout: [{ variant: 'on', weight: 100000 }], salt: 'keep-me' });
    expect(moveRule(draft, 0, -1)).toBe(draft);
    expect(buildTargeting(removeRule(draft, 0), flag, true, {}).patch!.rules!.map((r) => r.id)).toEqual(['b']);
  });

  describe('prerequisites', () => {
    const others = [
      { key: 'gate', archived: false, variants: { on: true, off: false } },
      { key: 'theme', archived: false, variants: { dark: 'dark', light: 'light', auto: 'auto' } },
      { key: 'old', archived: true, variants: { on: true, off: false } },
      { key: 'checkout', archived: false, variants: { on: true, off: false } },
    ];
    const choices = prerequisiteChoices(others, 'checkout');

    it('offers every other unarchived flag, with its variants', () => {
      expect(choices).toEqual([
        { key: 'gate', variants: ['on', 'off'] },
        { key: 'theme', variants: ['dark', 'light', 'auto'] },
      ]);
    });

    it('edits the list (pick flag, pick variants) into the PATCH body and the previewed config', () => {
      const draft = draftOf(base, variants);
      expect(draft.prerequisites).toEqual([]);
      const gate = prerequisiteOn('gate', choices);
      expect(gate.variants).toEqual(['on']);
      const theme = toggleVariant(toggleVariant(prerequisiteOn('theme', choices), 'auto', choices[1].variants), 'light', choices[1].variants);
      expect(theme.variants).toEqual(['dark', 'light', 'auto']);
      const built = buildTargeting({ ...draft, prerequisites: [gate, toggleVariant(theme, 'dark', choices[1].variants)] }, flag, true, {}, choices);
      expect(built.problems).toEqual([]);
      expect(built.patch!.prerequisites).toEqual([
        { flag: 'gate', variants: ['on'] },
        { flag: 'theme', variants: ['light', 'auto'] },
      ]);
      expect(built.config!.prerequisites).toEqual(built.patch!.prerequisites);
      // The preview follows them through the other flags, as SDKs do.
      const off = { key: 'gate', type: 'boolean' as const, variants: { on: true, off: false }, ...base, enabled: false };
      const result = evaluate(flag, built.config!, { targetingKey: 'u1' }, { flags: { gate: off } });
      expect(result).toMatchObject({ variant: 'off', reason: 'DISABLED', failedPrerequisite: 'gate' });
    });

    it('sends an empty list when the last prerequisite is removed, and reads saved ones back', () => {
      const saved = draftOf({ ...base, prerequisites: [{ flag: 'gate', variants: ['on'] }] }, variants);
      expect(saved.prerequisites.map((p) => [p.flag, p.variants])).toEqual([['gate', ['on']]]);
      const built = buildTargeting({ ...saved, prerequisites: [] }, flag, true, {}, choices);
      expect(built.patch!.prerequisites).toEqual([]);
      expect(built.config).not.toHaveProperty('prerequisites');
    });

    it('names the field of a missing flag, no variants, an unknown or repeated flag', () => {
      const draft = draftOf(base, variants);
      const built = buildTargeting(
        {
          ...draft,
          prerequisites: [
            { uid: 'p1', flag: '', variants: ['on'] },
            { uid: 'p2', flag: 'gate', variants: [] },
            { uid: 'p3', flag: 'ghost', variants: ['on'] },
            { uid: 'p4', flag: 'gate', variants: ['maybe'] },
          ],
        },
        flag,
        true,
        {},
        choices,
      );
      expect(built.patch).toBeUndefined();
      expect(built.problems).toEqual([
        { path: 'prerequisites[0].flag', problem: 'pick a flag' },
        { path: 'prerequisites[1].variants', problem: 'pick at least one variant' },
        { path: 'prerequisites[2].flag', problem: 'no flag "ghost" exists (or it is archived)' },
        { path: 'prerequisites[3].flag', problem: '"gate" is already a prerequisite' },
        { path: 'prerequisites[3].variants', problem: '"gate" has no variant "maybe"' },
      ]);
    });
  });
});
