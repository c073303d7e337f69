import { evaluate, type EnvironmentConfig } from '@switchyard/core';
import { buildTargeting, draftOf, moveRule, newRule, removeRule, withMode, type TargetingDraft } from './targeting.model';

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
});
