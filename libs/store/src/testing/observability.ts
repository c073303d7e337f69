import pino, { type Logger } from 'pino';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { MetricsService } from '@switchyard/observability';

/** MetricsService's factories over a private registry (no default process metrics), readable by tests. */
export class RecordingMetrics implements Pick<MetricsService, 'counter' | 'gauge' | 'histogram'> {
  readonly registry = new Registry();

  counter<L extends string>(name: string, help: string, labelNames: readonly L[] = []): Counter<L> {
    return (this.registry.getSingleMetric(name) as Counter<L> | undefined) ?? new Counter({ name, help, labelNames, registers: [this.registry] });
  }

  gauge<L extends string>(name: string, help: string, labelNames: readonly L[] = []): Gauge<L> {
    return (this.registry.getSingleMetric(name) as Gauge<L> | undefined) ?? new Gauge({ name, help, labelNames, registers: [this.registry] });
  }

  histogram<L extends string>(name: string, help: string, labelNames: readonly L[] = [], buckets?: number[]): Histogram<L> {
    return (this.registry.getSingleMetric(name) as Histogram<L> | undefined) ?? new Histogram({ name, help, labelNames, buckets, registers: [this.registry] });
  }

  /** The sample `name` (a counter or gauge, or a histogram's `_count`) with exactly `labels`; 0 when never set. */
  async value(name: string, labels: Record<string, string> = {}): Promise<number> {
    const family = name.endsWith('_count') ? name.slice(0, -'_count'.length) : name;
    const metric = this.registry.getSingleMetric(family);
    if (!metric) throw new Error(`no metric ${family}`);
    const { values } = await metric.get();
    const wanted = Object.entries(labels);
    const sample = values.find(
      (v) =>
        ((v as { metricName?: string }).metricName ?? family) === name &&
        Object.keys(v.labels).length === wanted.length &&
        wanted.every(([key, value]) => v.labels[key] === value),
    );
    return sample?.value ?? 0;
  }
}

export interface LogLine {
  level: number;
  msg: string;
  component?: string;
  [field: string]: unknown;
}

/** A pino logger whose lines (debug and up) are kept, parsed, for assertions. */
export function recordingLogger(): { logger: Logger; lines: LogLine[] } {
  const lines: LogLine[] = [];
  const logger = pino({ level: 'debug' }, { write: (line: string) => void lines.push(JSON.parse(line) as LogLine) });
  return { logger, lines };
}

/** pino's numeric levels, for matching recorded lines. */
export const LOG_LEVEL = { debug: 20, info: 30, warn: 40, error: 50 } as const;
