import { descriptionsOf, newRow, rowsOf, variantsOf, type VariantRow } from './variants.model';

const rows = (entries: Array<[string, string]>): VariantRow[] => entries.map(([name, value], i) => ({ uid: `u${i}`, name, value, description: '' }));

describe('variant rows', () => {
  it('shows values as typed text, JSON only for objects', () => {
    expect(rowsOf('boolean', { on: true, off: false }).map((r) => [r.name, r.value])).toEqual([
      ['on', 'true'],
      ['off', 'false'],
    ]);
    expect(rowsOf('string', { blue: 'blue' })[0].value).toBe('blue');
    expect(rowsOf('number', { low: 2.5 })[0].value).toBe('2.5');
    expect(rowsOf('object', { a: { x: 1 } })[0].value).toBe('{\n  "x": 1\n}');
  });

  it('turns typed text back into values of the flag type', () => {
    expect(
      variantsOf(
        'number',
        rows([
          ['low', '10'],
          ['high', ' 2.5 '],
        ]),
      ),
    ).toEqual({ variants: { low: 10, high: 2.5 }, problems: [{}, {}] });
    expect(variantsOf('string', rows([['a', '']])).variants).toEqual({ a: '' });
    expect(variantsOf('boolean', rows([['on', 'true']])).variants).toEqual({ on: true });
    expect(variantsOf('object', rows([['a', '{"x": [1]}']])).variants).toEqual({ a: { x: [1] } });
  });

  it('names each row’s problem in plain words', () => {
    const result = variantsOf(
      'number',
      rows([
        ['low', 'ten'],
        ['low', '1'],
        ['has space', '2'],
      ]),
    );
    expect(result.variants).toBeUndefined();
    expect(result.problems).toEqual([
      { value: 'must be a number, e.g. 10 or 2.5' },
      { name: '"low" is used twice' },
      { name: "use 1–128 letters, digits, '_', '.' or '-'" },
    ]);
    expect(
      variantsOf(
        'object',
        rows([
          ['a', '[1]'],
          ['b', '{'],
        ]),
      ).problems,
    ).toEqual([{ value: 'must be a JSON object, e.g. {"color": "blue"}' }, { value: 'is not valid JSON' }]);
    expect(variantsOf('string', [])).toEqual({ problems: [], problem: 'a flag needs at least one variant' });
  });

  it('adds a row with an unused name', () => {
    expect(newRow('number', rows([['variant-2', '1']]))).toMatchObject({ name: 'variant-3', value: '0' });
  });

  it('keeps each variant’s description, trimmed, and only where one is written', () => {
    const table = rowsOf('boolean', { on: true, off: false }, { on: 'the new checkout' });
    expect(table.map((r) => r.description)).toEqual(['the new checkout', '']);
    table[1].description = '  the old one  ';
    expect(descriptionsOf(table)).toEqual({ on: 'the new checkout', off: 'the old one' });
    table[0].description = 'x'.repeat(501);
    expect(variantsOf('boolean', table).problems[0]).toEqual({ description: 'use at most 500 characters' });
    expect(variantsOf('boolean', table).variants).toBeUndefined();
  });
});
