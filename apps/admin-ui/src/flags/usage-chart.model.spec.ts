import { niceCeiling, SERIES_COLORS, seriesColor, usageChart } from './usage-chart.model';

describe('usage chart', () => {
  const now = Date.parse('2025-03-01T12:30:00Z');

  it('lays out one series per variant over the last hours, zero-filled', () => {
    const chart = usageChart(
      [
        { hour: '2025-03-01T10:00:00.000Z', environment: 'production', variant: 'on', evaluations: 30 },
        { hour: '2025-03-01T12:00:00.000Z', environment: 'production', variant: 'on', evaluations: 50 },
        { hour: '2025-03-01T12:00:00.000Z', environment: 'production', variant: 'off', evaluations: 70 },
        { hour: '2025-03-01T12:00:00.000Z', environment: 'staging', variant: 'on', evaluations: 999 },
        { hour: '2025-02-01T12:00:00.000Z', environment: 'production', variant: 'on', evaluations: 5 },
      ],
      'production',
      { now, hours: 3, width: 100, height: 100 },
    );
    expect(chart.hours).toEqual(['2025-03-01T10:00:00.000Z', '2025-03-01T11:00:00.000Z', '2025-03-01T12:00:00.000Z']);
    expect(chart.max).toBe(100);
    expect(chart.series).toEqual([
      { variant: 'off', counts: [0, 0, 70], total: 70, points: '0,100 50,100 100,30' },
      { variant: 'on', counts: [30, 0, 50], total: 80, points: '0,70 50,100 100,50' },
    ]);
    expect(chart.ticks).toEqual([
      { value: 0, y: 100 },
      { value: 50, y: 50 },
      { value: 100, y: 0 },
    ]);
  });

  it('draws an empty chart when there is no usage', () => {
    const chart = usageChart([], 'production', { now, hours: 24 });
    expect(chart.series).toEqual([]);
    expect(chart.max).toBe(0);
  });

  it('rounds axis tops to 1, 2 or 5 times a power of ten', () => {
    expect([0, 1, 3, 7, 12, 180, 501].map(niceCeiling)).toEqual([0, 1, 5, 10, 20, 200, 1000]);
  });
});

describe('series colours', () => {
  const redness = (hex: string) => {
    const [r, g, b] = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16));
    return r - Math.max(g, b);
  };

  it('draws "on" green and "off" grey, whatever their order', () => {
    expect(seriesColor('on', 1)).toBe('#2e8540');
    expect(seriesColor('off', 0)).toBe('#6b7280');
  });

  it('uses no red or orange for any series', () => {
    for (const color of SERIES_COLORS) expect(redness(color)).toBeLessThan(60);
  });
});
