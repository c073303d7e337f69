import { checkRollout, evenRollout, formatPercent, parsePercent, rolloutShares, rowsOf, setPercent, toRollout } from './rollout.model';

describe('rollout editor rules', () => {
  it('reads percentages as exact thousandths of a percent', () => {
    expect(parsePercent('30')).toEqual({ weight: 30000 });
    expect(parsePercent('33.333')).toEqual({ weight: 33333 });
    expect(parsePercent('0.5')).toEqual({ weight: 500 });
    expect(parsePercent('12,5 %')).toEqual({ weight: 12500 });
    expect(parsePercent('100')).toEqual({ weight: 100000 });
  });

  it('refuses what it cannot store exactly', () => {
    expect(parsePercent('')).toEqual({ problem: 'enter a percentage' });
    expect(parsePercent('33.3333')).toEqual({ problem: 'use at most 3 decimals' });
    expect(parsePercent('-5')).toEqual({ problem: 'must be a number from 0 to 100' });
    expect(parsePercent('101')).toEqual({ problem: 'must be at most 100' });
    expect(parsePercent('abc')).toEqual({ problem: 'must be a number from 0 to 100' });
  });

  it('formats weights back without trailing zeros', () => {
    expect(formatPercent(30000)).toBe('30');
    expect(formatPercent(33333)).toBe('33.333');
    expect(formatPercent(500)).toBe('0.5');
    expect(formatPercent(0)).toBe('0');
  });

  it('saves only when the percentages add up to exactly 100%', () => {
    const ok = [
      { variant: 'on', percent: '30' },
      { variant: 'off', percent: '70' },
    ];
    expect(checkRollout(ok).problem).toBeUndefined();
    expect(toRollout(ok)).toEqual([
      { variant: 'on', weight: 30000 },
      { variant: 'off', weight: 70000 },
    ]);

    const short = [
      { variant: 'on', percent: '30' },
      { variant: 'off', percent: '60' },
    ];
    expect(checkRollout(short).problem).toBe('the percentages add up to 90%; they must add up to exactly 100%');
    expect(toRollout(short)).toBeUndefined();

    const over = [
      { variant: 'a', percent: '50' },
      { variant: 'b', percent: '50.001' },
    ];
    expect(checkRollout(over).total).toBe(100001);
    expect(toRollout(over)).toBeUndefined();
  });

  it('marks bad rows and duplicate variants', () => {
    const check = checkRollout([
      { variant: 'on', percent: 'x' },
      { variant: 'on', percent: '100' },
    ]);
    expect(check.rowProblems).toEqual(['must be a number from 0 to 100', 'variant "on" is listed twice']);
    expect(check.problem).toBe('fix the percentages marked above');
    expect(checkRollout([]).problem).toBe('a rollout needs at least one variant');
  });

  it('splits evenly with the remainder on the first variants', () => {
    const rows = evenRollout(['a', 'b', 'c']);
    expect(rows.map((r) => r.percent)).toEqual(['33.334', '33.333', '33.333']);
    expect(checkRollout(rows).problem).toBeUndefined();
  });

  it('keeps a two-way split at 100% while one side is edited', () => {
    const rows = rowsOf([
      { variant: 'on', weight: 50000 },
      { variant: 'off', weight: 50000 },
    ]);
    expect(setPercent(rows, 0, '30')).toEqual([
      { variant: 'on', percent: '30' },
      { variant: 'off', percent: '70' },
    ]);
    expect(setPercent(rows, 1, '12.5')).toEqual([
      { variant: 'on', percent: '87.5' },
      { variant: 'off', percent: '12.5' },
    ]);
    // Three-way splits are not rebalanced behind the person's back; the sum check speaks instead.
    const three = evenRollout(['a', 'b', 'c']);
    expect(checkRollout(setPercent(three, 0, '50')).problem).toMatch(/add up to 116.666%/);
  });
});

describe('rolloutShares', () => {
  it('gives each variant its share of the bar as a percentage', () => {
    expect(
      rolloutShares([
        { variant: 'on', percent: '40' },
        { variant: 'off', percent: '60' },
      ]),
    ).toEqual([
      { variant: 'on', width: 40, label: '40 %' },
      { variant: 'off', width: 60, label: '60 %' },
    ]);
  });

  it('shows what is not yet assigned, leaves out empty shares, and never overflows', () => {
    expect(
      rolloutShares([
        { variant: 'a', percent: '12.5' },
        { variant: 'b', percent: '0' },
      ]),
    ).toEqual([
      { variant: 'a', width: 12.5, label: '12.5 %' },
      { variant: '', width: 87.5, label: '87.5 %' },
    ]);
    // A row that cannot be read counts as nothing until it is fixed.
    expect(
      rolloutShares([
        { variant: 'a', percent: '150' },
        { variant: 'b', percent: '50' },
      ]).map((s) => [s.variant, s.width]),
    ).toEqual([
      ['b', 50],
      ['', 50],
    ]);
    expect(
      rolloutShares([
        { variant: 'a', percent: '100' },
        { variant: 'b', percent: '100' },
      ]).map((s) => s.width),
    ).toEqual([50, 50]);
  });
});
