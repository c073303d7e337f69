import type { RouteReport } from './mirror-report';

/** The outcome of a dark launch, decided from the mirror report of its comparison window. */
export type DarkLaunchOutcome = 'pass' | 'fail' | 'insufficient-data';

export interface DarkLaunchThresholds {
  minCompared: number;
  /** Percent of comparisons allowed to differ after noise cancellation. */
  maxMismatchPercent: number;
}

/** What the stage was doing, so an insufficient-data reason can say what to change. */
export interface DarkLaunchSetting {
  route: string;
  /** Percent of users mirrored. */
  sample: number;
  /** As written (`10m`). */
  timeout: string;
}

export interface DarkLaunchEndpointVerdict {
  endpoint: string;
  compared: number;
  mismatchPercent: number;
  /** Fields that differ beyond noise, most frequent first: percent of the endpoint's comparisons. */
  fields: Array<{ path: string; percent: number }>;
}

export interface DarkLaunchVerdict {
  outcome: DarkLaunchOutcome;
  /** One sentence a person can act on. */
  reason: string;
  compared: number;
  mismatchPercent: number;
  /** Worst first: the endpoints that decided it (at most 10). */
  endpoints: DarkLaunchEndpointVerdict[];
}

const MAX_ENDPOINTS = 10;
const MAX_FIELDS = 5;

/**
 * pass / fail / insufficient-data from a route report, with the reason in words. Fails when the
 * whole route, or any one endpoint, differs after noise cancellation more often than the limit:
 * a rarely called endpoint that is always wrong must not hide behind a busy one that is right.
 */
export function darkLaunchVerdict(report: RouteReport, thresholds: DarkLaunchThresholds, setting: DarkLaunchSetting): DarkLaunchVerdict {
  const compared = report.totals.compared;
  const mismatchPercent = percent(report.totals.mismatched.afterNoise, compared);
  const endpoints: DarkLaunchEndpointVerdict[] = report.endpoints
    .filter((endpoint) => endpoint.compared > 0)
    .map((endpoint) => ({
      endpoint: endpoint.endpoint,
      compared: endpoint.compared,
      mismatchPercent: percent(endpoint.mismatched.afterNoise, endpoint.compared),
      fields: endpoint.fields
        .filter((field) => field.significant)
        .slice(0, MAX_FIELDS)
        .map((field) => ({ path: field.field, percent: percent(field.raw, endpoint.compared) })),
    }))
    .sort((a, b) => b.mismatchPercent - a.mismatchPercent || b.compared - a.compared || a.endpoint.localeCompare(b.endpoint))
    .slice(0, MAX_ENDPOINTS);
  const limit = thresholds.maxMismatchPercent;
  const worst = endpoints[0];
  if (compared < thresholds.minCompared) {
    return {
      outcome: 'insufficient-data',
      reason:
        `only ${count(compared)} of the ${count(thresholds.minCompared)} comparisons needed arrived on route ${setting.route} within ${setting.timeout} ` +
        `(sampling ${formatPercent(setting.sample)} of users); send more traffic through the proxy or raise sample, then approve to continue or abort`,
      compared,
      mismatchPercent,
      endpoints,
    };
  }
  const failing = mismatchPercent > limit || (worst !== undefined && worst.mismatchPercent > limit);
  if (failing && worst) {
    const field = worst.fields[0];
    const what = field ? `\`${field.path}\` differs in ${formatPercent(field.percent)}` : `responses differ in ${formatPercent(worst.mismatchPercent)}`;
    return {
      outcome: 'fail',
      reason: `${what} of ${count(worst.compared)} comparisons on ${worst.endpoint}; the limit is ${formatPercent(limit)}`,
      compared,
      mismatchPercent,
      endpoints,
    };
  }
  return {
    outcome: 'pass',
    reason: `${formatPercent(mismatchPercent)} of ${count(compared)} comparisons differ after noise cancellation; the limit is ${formatPercent(limit)}`,
    compared,
    mismatchPercent,
    endpoints,
  };
}

function percent(part: number, whole: number): number {
  return whole === 0 ? 0 : Math.round((part / whole) * 100 * 10_000) / 10_000;
}

function count(n: number): string {
  return n.toLocaleString('en-US');
}

/** `25.0 %`, `0.1 %`, `0.03 %`: one decimal from 1 % up, two significant ones below. */
export function formatPercent(value: number): string {
  if (value === 0) return '0 %';
  if (value >= 1) return `${value.toFixed(1)} %`;
  return `${Number(value.toPrecision(2))} %`;
}
