import type { ReleaseStage } from '../../../../libs/deploy/src/releases/release.contract';
import type { TestSummary } from '../../../../libs/deploy/src/junit/test-summary.contract';
import type { Measurement } from '../../../../libs/deploy/src/analysis/analysis.contract';
import type { MetricSpec as PlannedMetric } from '../../../../libs/deploy/src/pipeline/pipeline.contract';
import type { EnvironmentPreview as GatePlan, Rollout } from '../../../../libs/deploy/src/rollout/rollout.contract';

/** "850 ms", "12.3 s", "4 min 05 s", "1 h 02 min": a CI stage's length at a glance. */
export function formatDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms) || ms < 0) return '—';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const seconds = ms / 1000;
  if (seconds < 60) return `${seconds.toFixed(1)} s`;
  const whole = Math.round(seconds);
  const minutes = Math.floor(whole / 60);
  if (minutes < 60) return `${minutes} min ${String(whole % 60).padStart(2, '0')} s`;
  return `${Math.floor(minutes / 60)} h ${String(minutes % 60).padStart(2, '0')} min`;
}

/** A finished stage has its own duration; a running one has been running since it started. */
export function stageDuration(stage: Pick<ReleaseStage, 'durationMs' | 'startedAt' | 'finishedAt' | 'status'>, now: number): number | null {
  if (stage.durationMs !== null) return stage.durationMs;
  if (!stage.startedAt) return null;
  const end = stage.finishedAt ? Date.parse(stage.finishedAt) : stage.status === 'running' ? now : NaN;
  const ms = end - Date.parse(stage.startedAt);
  return Number.isFinite(ms) ? Math.max(0, ms) : null;
}

/** `sha256:abcdef012345…` — enough of a digest to recognise it; the full one sits in a tooltip. */
export function shortDigest(digest: string, length = 12): string {
  const [algorithm, hex] = digest.includes(':') ? digest.split(':', 2) : ['', digest];
  const short = hex.length > length ? `${hex.slice(0, length)}…` : hex;
  return algorithm ? `${algorithm}:${short}` : short;
}

export function testSummaryText(summary: TestSummary): string {
  const parts = [`${summary.passed}/${summary.tests} passed`];
  if (summary.failures) parts.push(`${summary.failures} failed`);
  if (summary.errors) parts.push(`${summary.errors} errors`);
  if (summary.skipped) parts.push(`${summary.skipped} skipped`);
  return `${parts.join(', ')} in ${formatDuration(summary.timeSeconds * 1000)}`;
}

/** The digest a release's stages reported last (publish's registry digest beats build's local one). */
export function stageDigest(stage: ReleaseStage): string | null {
  const a = stage.artifacts;
  return a?.imageDigest ?? a?.localDigest ?? a?.imageId ?? null;
}

export interface ChartPoint {
  x: number;
  y: number;
  value: number;
}

export interface MetricChart {
  metric: string;
  width: number;
  height: number;
  canary: ChartPoint[];
  stable: ChartPoint[];
  /** Where a threshold applies at that iteration: a fixed max/min, or stable × maxRatio. */
  threshold: ChartPoint[];
  thresholdLabel: string;
  yMax: number;
  outcomes: Array<{ x: number; outcome: Measurement['outcome'] }>;
}

/** Measurements per metric, in the order they were taken. */
export function groupByMetric(measurements: readonly Measurement[]): Map<string, Measurement[]> {
  const groups = new Map<string, Measurement[]>();
  for (const m of [...measurements].sort((a, b) => a.iteration - b.iteration)) {
    const list = groups.get(m.metric) ?? [];
    list.push(m);
    groups.set(m.metric, list);
  }
  return groups;
}

/**
 * The line a canary value must stay on the right side of. The analysis fails a canary above `max`
 * or above `maxRatio` × stable (except when stable is 0 and a max decides alone), so with both the
 * lower one binds; `min` is drawn only when there is no upper bound.
 */
export function thresholdAt(m: Measurement): number | null {
  const t = m.threshold;
  const ratioBound = t.maxRatio !== undefined && m.stable !== null && !(m.stable === 0 && t.max !== undefined) ? m.stable * t.maxRatio : undefined;
  const upper = [t.max, ratioBound].filter((v): v is number => v !== undefined);
  if (upper.length > 0) return Math.min(...upper);
  if (t.maxRatio !== undefined) return null;
  if (t.min !== undefined) return t.min;
  return null;
}

/** A measured value to read against its threshold: 3 significant digits (Prometheus's extrapolation wobbles beyond), "—" for none. */
export function formatMeasured(value: number | null): string {
  if (value === null || !Number.isFinite(value)) return '—';
  return String(Number(value.toPrecision(3)));
}

export function thresholdLabel(t: Measurement['threshold']): string {
  const parts: string[] = [];
  if (t.max !== undefined) parts.push(`max ${t.max}`);
  if (t.min !== undefined) parts.push(`min ${t.min}`);
  if (t.maxRatio !== undefined) parts.push(`≤ ${t.maxRatio}× stable`);
  return parts.join(', ') || 'no threshold';
}

/**
 * Scales one metric's measurements into an SVG box: iterations spread left to right, values from 0
 * (bottom) to a little above the largest value or threshold so the line never sits on the frame.
 */
export function scaleMetricChart(measurements: readonly Measurement[], width = 240, height = 80, pad = 6): MetricChart {
  const sorted = [...measurements].sort((a, b) => a.iteration - b.iteration);
  const values = sorted.flatMap((m) => [m.canary, m.stable, thresholdAt(m)]).filter((v): v is number => v !== null && Number.isFinite(v));
  const top = Math.max(0, ...values);
  const yMax = top === 0 ? 1 : top * 1.1;
  const xOf = (i: number) => (sorted.length <= 1 ? width / 2 : pad + (i * (width - 2 * pad)) / (sorted.length - 1));
  const yOf = (v: number) => height - pad - (Math.max(0, v) / yMax) * (height - 2 * pad);
  const series = (pick: (m: Measurement) => number | null): ChartPoint[] =>
    sorted.flatMap((m, i) => {
      const v = pick(m);
      return v === null || !Number.isFinite(v) ? [] : [{ x: round(xOf(i)), y: round(yOf(v)), value: v }];
    });
  return {
    metric: sorted[0]?.metric ?? '',
    width,
    height,
    canary: series((m) => m.canary),
    stable: series((m) => m.stable),
    threshold: series(thresholdAt),
    thresholdLabel: sorted.length ? thresholdLabel(sorted[sorted.length - 1].threshold) : '',
    yMax,
    outcomes: sorted.map((m, i) => ({ x: round(xOf(i)), outcome: m.outcome })),
  };
}

export function polyline(points: readonly ChartPoint[]): string {
  return points.map((p) => `${p.x},${p.y}`).join(' ');
}

const round = (n: number) => Math.round(n * 100) / 100;

/** What became of a rollback started from the page: running, done, or why it failed. */
export function rollbackMessage(rollback: Pick<Rollout, 'status' | 'version' | 'steps' | 'error'>): string {
  const environment = rollback.steps[0]?.environment ?? 'the environment';
  switch (rollback.status) {
    case 'running':
    case 'waiting':
      return `Rolling ${environment} back to ${rollback.version}…`;
    case 'succeeded':
      return `${environment} rolled back to ${rollback.version}.`;
    case 'failed':
    case 'aborted':
    case 'superseded':
      return `Rollback of ${environment} to ${rollback.version} ${rollback.status}${rollback.error ? `: ${rollback.error}` : '.'}`;
  }
}

export interface PlanSummary {
  namespace: string;
  /** `update Deployment/quotes` with its changed fields (`path: before → after`), at most `maxChanges` of them. */
  objects: Array<{ title: string; changes: string[]; more: number; error?: string }>;
  canary: string | null;
}

const isGatePlan = (plan: unknown): plan is GatePlan =>
  typeof plan === 'object' && plan !== null && Array.isArray((plan as GatePlan).objects) && typeof (plan as GatePlan).namespace === 'string';

// Long enough for an image reference with its full digest, which is what an approver compares.
const shown = (value: unknown): string => {
  if (value === undefined) return '(none)';
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return text.length > 160 ? `${text.slice(0, 159)}…` : text;
};

function metricBounds(metric: PlannedMetric): string {
  return `${metric.name} (${thresholdLabel({ max: metric.max, min: metric.min, maxRatio: metric.compare?.maxRatio, minSamples: 0 })})`;
}

/**
 * The gate's plan as an approver reads it: what each object's apply does (created objects are new
 * whole, so only updates list their fields) and the canary analysis that will judge the release.
 */
export function summarizePlan(plan: unknown, maxChanges = 6): PlanSummary | null {
  if (!isGatePlan(plan)) return null;
  const objects = plan.objects.map((object) => {
    const changes = object.action === 'update' ? object.changes.map((c) => `${c.path}: ${shown(c.before)} → ${shown(c.after)}`) : [];
    return {
      title: `${object.action} ${object.kind}/${object.name}`,
      changes: changes.slice(0, maxChanges),
      more: Math.max(0, changes.length - maxChanges),
      ...(object.error ? { error: object.error } : {}),
    };
  });
  const c = plan.canary;
  let canary: string | null = null;
  if (c?.skipped) canary = `No canary: ${c.skipped}`;
  else if (c) {
    const a = c.analysis;
    canary =
      `Canary ${c.deployment} (${c.replicas} ${c.replicas === 1 ? 'replica' : 'replicas'}), analysed ${a.iterations} × ${a.interval} ` +
      `with at least ${a.minSamples} requests, failing after ${a.failureLimit + 1} failed ${a.failureLimit === 0 ? 'iteration' : 'iterations'}: ` +
      a.metrics.map(metricBounds).join('; ');
  }
  if (c?.warning) canary = `${canary ?? ''} (${c.warning})`.trim();
  return { namespace: plan.namespace, objects, canary };
}
