import { evaluate, type Condition } from '@switchyard/core';
import { changeOperator, describeCondition, emptyDraft, fromCondition, toCondition, type ConditionDraft } from './condition.model';

const draft = (patch: Partial<ConditionDraft>): ConditionDraft => ({ ...emptyDraft(), attribute: 'country', ...patch });

describe('condition builder typed values', () => {
  it('turns a comma list into strings for text operators', () => {
    expect(toCondition(draft({ operator: 'in', text: ' NO, SE ,,DK ' }))).toEqual({
      condition: { attribute: 'country', operator: 'in', values: ['NO', 'SE', 'DK'] },
    });
  });

  it('sends numbers as numbers for numeric operators and refuses non-numbers', () => {
    expect(toCondition(draft({ attribute: 'age', operator: 'gte', text: '18' })).condition?.values).toEqual([18]);
    expect(toCondition(draft({ attribute: 'score', operator: 'lt', text: '2.5e1' })).condition?.values).toEqual([25]);
    expect(toCondition(draft({ attribute: 'age', operator: 'eq', text: '0x10' })).problems).toEqual([
      { field: 'values', problem: 'must be a number, e.g. 30 or 2.5' },
    ]);
    expect(toCondition(draft({ attribute: 'age', operator: 'eq', text: '' })).problems?.[0].field).toBe('values');
  });

  it('accepts strict ISO dates only for before/after', () => {
    expect(toCondition(draft({ attribute: 'signup', operator: 'after', text: '2025-01-31' })).condition?.values).toEqual(['2025-01-31']);
    expect(toCondition(draft({ attribute: 'signup', operator: 'before', text: '2025-01-31T12:00:00Z' })).condition?.values).toEqual(['2025-01-31T12:00:00Z']);
    expect(toCondition(draft({ attribute: 'signup', operator: 'before', text: '31/01/2025' })).problems?.[0].problem).toMatch(/ISO-8601/);
    expect(toCondition(draft({ attribute: 'signup', operator: 'before', text: '2025-02-30' })).problems).toHaveLength(1);
  });

  it('accepts semantic versions only for semver operators', () => {
    expect(toCondition(draft({ attribute: 'appVersion', operator: 'semver_gt', text: 'v2.4.0-beta.1' })).condition?.values).toEqual(['v2.4.0-beta.1']);
    expect(toCondition(draft({ attribute: 'appVersion', operator: 'semver_eq', text: '2.4' })).problems?.[0].problem).toMatch(/semantic version/);
  });

  it('checks regexes with the engine’s own safety rules, one per line', () => {
    expect(toCondition(draft({ attribute: 'email', operator: 'matches', text: '@example\\.com$\n^admin' })).condition?.values).toEqual([
      '@example\\.com$',
      '^admin',
    ]);
    const bad = toCondition(draft({ attribute: 'email', operator: 'matches', text: 'ok\n(a)\\1' }));
    expect(bad.problems?.[0].field).toBe('values[1]');
  });

  it('takes segment keys from the picker and ignores the attribute', () => {
    expect(toCondition(draft({ attribute: '', operator: 'in_segment', segments: ['beta-testers'] }))).toEqual({
      condition: { attribute: '', operator: 'in_segment', values: ['beta-testers'] },
    });
    expect(toCondition(draft({ operator: 'in_segment', segments: [] })).problems).toEqual([{ field: 'values', problem: 'pick at least one segment' }]);
  });

  it('requires an attribute and keeps case-insensitivity for text operators only', () => {
    expect(toCondition(draft({ attribute: ' ', text: 'NO' })).problems?.[0].field).toBe('attribute');
    expect(toCondition(draft({ text: 'no', caseInsensitive: true, negate: true })).condition).toEqual({
      attribute: 'country',
      operator: 'in',
      values: ['no'],
      caseInsensitive: true,
      negate: true,
    });
    expect(toCondition(draft({ attribute: 'age', operator: 'gt', text: '3', caseInsensitive: true })).condition).toEqual({
      attribute: 'age',
      operator: 'gt',
      values: [3],
    });
  });

  it('produces conditions the engine evaluates as the person meant', () => {
    const condition = toCondition(draft({ operator: 'in', text: 'no', caseInsensitive: true })).condition as Condition;
    const flag = { key: 'f', type: 'boolean' as const, variants: { on: true, off: false } };
    const env = {
      enabled: true,
      offVariant: 'off',
      version: 1,
      defaultServe: { variant: 'off' },
      rules: [{ id: 'r', conditions: [condition], serve: { variant: 'on' } }],
    };
    expect(evaluate(flag, env, { country: 'NO' }).variant).toBe('on');
    expect(evaluate(flag, env, { country: 'SE' }).variant).toBe('off');
  });

  it('round-trips API conditions and keeps values across compatible operator changes', () => {
    const condition: Condition = { attribute: 'email', operator: 'matches', values: ['a', 'b'] };
    expect(toCondition(fromCondition(condition)).condition).toEqual(condition);
    expect(changeOperator(draft({ operator: 'in', text: 'NO, SE' }), 'not_in').text).toBe('NO, SE');
    expect(changeOperator(draft({ operator: 'in', text: 'NO, SE' }), 'matches').text).toBe('NO\nSE');
    expect(changeOperator(draft({ operator: 'in', text: 'NO' }), 'gt').text).toBe('');
    expect(changeOperator(draft({ operator: 'in', text: 'NO', caseInsensitive: true }), 'eq').caseInsensitive).toBe(false);
  });

  it('reads conditions back as a sentence', () => {
    expect(describeCondition({ attribute: 'country', operator: 'in', values: ['NO'] })).toBe('country is one of NO');
    expect(describeCondition({ attribute: 'plan', operator: 'in', values: ['pro'], negate: true, caseInsensitive: true })).toBe(
      'NOT plan is one of pro (any case)',
    );
  });
});
