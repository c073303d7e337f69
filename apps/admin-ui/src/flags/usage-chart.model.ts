import type { UsageBucketView } from '../../../../libs/flags/src/flag.contract';

/** Evaluations per variant per hour for one environment, laid out for an inline SVG line chart. */
export interface UsageSeries {
  variant: string;
  counts: number[];
  total: number;
  /** SVG polyline points in the chart's coordinate space. */
  points: string;
}

export interface UsageChartModel {
  hours: string[];
  series: UsageSeries[];
  max: number;
  width: number;
  height: number;
  /** Y-axis ticks: value and y coordinate. */
  ticks: Array<{ value: number; y: number }>;
}

const HOUR = 3_600_000;

export function usageChart(
  buckets: readonly UsageBucketView[],
  environment: string,
  options: { now: number; hours: number; width?: number; height?: number },
): UsageChartModel {
  const width = options.width ?? 640;
  const height = options.height ?? 200;
  const end = Math.floor(options.now / HOUR) * HOUR;
  const start = end - (options.hours - 1) * HOUR;
  const hours = Array.from({ length: options.hours }, (_, i) => new Date(start + i * HOUR).toISOString());
  const byVariant = new Map<string, number[]>();
  for (const bucket of buckets) {
    if (bucket.environment !== environment) continue;
    const index = Math.round((Date.parse(bucket.hour) - start) / HOUR);
    if (index < 0 || index >= hours.length) continue;
    const name = bucket.variant || '(none)';
    let counts = byVariant.get(name);
    if (!counts) byVariant.set(name, (counts = new Array<number>(hours.length).fill(0)));
    counts[index] += bucket.evaluations;
  }
  const max = Math.max(0, ...[...byVariant.values()].flat());
  const top = niceCeiling(max);
  const x = (i: number) => (hours.length <= 1 ? 0 : (i / (hours.length - 1)) * width);
  const y = (value: number) => height - (top === 0 ? 0 : (value / top) * height);
  const series = [...byVariant.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([variant, counts]) => ({
      variant,
      counts,
      total: counts.reduce((sum, n) => sum + n, 0),
      points: counts.map((n, i) => `${round(x(i))},${round(y(n))}`).join(' '),
    }));
  const ticks = top === 0 ? [{ value: 0, y: height }] : [0, 0.5, 1].map((f) => ({ value: Math.round(top * f), y: round(y(top * f)) }));
  return { hours, series, max: top, width, height, ticks };
}

/** 1, 2, 5 × 10^n at or above `value`, so the axis reads in round numbers. */
export function niceCeiling(value: number): number {
  if (value <= 0) return 0;
  const magnitude = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 5, 10]) if (step * magnitude >= value) return step * magnitude;
  return 10 * magnitude;
}

const round = (n: number) => Math.round(n * 10) / 10;

/**
 * Line colours: neutral and positive tones only — red reads as "failing", and an "on" drawn in red
 * looked like an incident. A boolean flag's on/off get fixed colours (green, grey) in every chart.
 */
export const SERIES_COLORS = ['#1f4e79', '#2e8540', '#7c5cbf', '#0e7490', '#6b7280', '#a07a1c', '#4d7c0f', '#475569'];
const FIXED: Record<string, string> = { on: '#2e8540', off: '#6b7280' };

export function seriesColor(variant: string, index: number): string {
  return FIXED[variant] ?? SERIES_COLORS[index % SERIES_COLORS.length];
}
