import type { AnalysisVerdict, Measurement } from '../../../../libs/deploy/src/analysis/analysis.contract';
import type { RolloutStep } from '../../../../libs/deploy/src/rollout/rollout.contract';

/*
 * The dark-launch and flag-release stages as the rollout view shows them, read from the step's
 * `detail` (the shapes agreed for issue 14). The detail is stored JSON written by the server, so
 * every field is checked rather than trusted: a stage whose detail is not there yet (still
 * pending) reads as "no detail", never as a crash.
 */

export type DarkLaunchOutcome = 'pass' | 'fail' | 'insufficient-data';

export interface DarkLaunchView {
  route: string;
  sample: string;
  limits: string;
  deadline: string | null;
  shadow: string | null;
  /** "312 of 500 comparisons, 0.3 % mismatched" while the stage waits for traffic. */
  progress: string | null;
  verdict: {
    outcome: DarkLaunchOutcome;
    label: string;
    reason: string;
    compared: number;
    mismatch: string;
    endpoints: Array<{ endpoint: string; compared: number; mismatch: string; fields: Array<{ path: string; percent: string }> }>;
    reportUrl: string | null;
  } | null;
}

export interface FlagReleaseView {
  flags: string[];
  interval: string;
  steps: Array<{ percent: number; label: string; state: 'done' | 'current' | 'next' }>;
  stepStartedAt: string | null;
  measurements: Measurement[];
  verdict: AnalysisVerdict | null;
  tripped: { text: string; at: string } | null;
}

const isRecord = (value: unknown): value is Record<string, unknown> => value !== null && typeof value === 'object' && !Array.isArray(value);
const num = (value: unknown): number | null => (typeof value === 'number' && Number.isFinite(value) ? value : null);
const str = (value: unknown): string | null => (typeof value === 'string' && value !== '' ? value : null);

/** "25 %", "0.1 %", "12.35 %": percentages as people read them, never "0.30000000000000004". */
export function percentText(value: number): string {
  const rounded = Math.round(value * 100) / 100;
  return `${rounded.toLocaleString('en-US', { maximumFractionDigits: 2 })} %`;
}

/** "10 min", "45 s", "1 h 30 min". */
export function intervalText(ms: number): string {
  if (ms < 60_000) return `${Math.round(ms / 1000)} s`;
  const minutes = Math.round(ms / 60_000);
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  return minutes % 60 ? `${hours} h ${minutes % 60} min` : `${hours} h`;
}

const OUTCOME_LABELS: Record<DarkLaunchOutcome, string> = { pass: 'Passed', fail: 'Failed', 'insufficient-data': 'Not enough traffic' };

/** A link the UI may follow: a path of its own, never another origin. */
const uiPath = (value: unknown): string | null => {
  const path = str(value);
  return path && path.startsWith('/') && !path.startsWith('//') ? path : null;
};

export function darkLaunchView(step: Pick<RolloutStep, 'kind' | 'detail'>): DarkLaunchView | null {
  if (step.kind !== 'dark-launch' || !isRecord(step.detail)) return null;
  const detail = step.detail;
  const route = str(detail.route);
  if (!route) return null;
  const shadow = isRecord(detail.shadow) ? detail.shadow : {};
  const minCompared = num(detail.minCompared);
  const maxMismatch = num(detail.maxMismatch);
  const progress = isRecord(detail.progress) ? detail.progress : null;
  const compared = num(progress?.compared);
  const mismatched = num(progress?.mismatched);
  const verdict = isRecord(detail.verdict) ? detail.verdict : null;
  const outcome = verdict && (['pass', 'fail', 'insufficient-data'] as const).find((o) => o === verdict.outcome);
  return {
    route,
    sample: num(detail.sample) !== null ? `${percentText(num(detail.sample)!)} of requests` : 'unknown sample',
    limits: [
      minCompared !== null ? `at least ${minCompared.toLocaleString('en-US')} comparisons` : null,
      maxMismatch !== null ? `at most ${percentText(maxMismatch)} mismatched` : null,
    ]
      .filter(Boolean)
      .join(', '),
    deadline: str(detail.deadline),
    shadow: str(shadow.deployment) ? `${String(shadow.deployment)}${str(shadow.namespace) ? ` in ${String(shadow.namespace)}` : ''}` : null,
    progress:
      compared !== null
        ? `${compared.toLocaleString('en-US')}${minCompared !== null ? ` of ${minCompared.toLocaleString('en-US')}` : ''} comparisons${
            mismatched !== null && compared > 0 ? `, ${percentText((mismatched / compared) * 100)} mismatched` : ''
          }`
        : null,
    verdict:
      verdict && outcome
        ? {
            outcome,
            label: OUTCOME_LABELS[outcome],
            reason: str(verdict.reason) ?? '',
            compared: num(verdict.compared) ?? 0,
            mismatch: percentText(num(verdict.mismatchPercent) ?? 0),
            endpoints: (Array.isArray(verdict.endpoints) ? verdict.endpoints : []).filter(isRecord).map((e) => ({
              endpoint: str(e.endpoint) ?? '?',
              compared: num(e.compared) ?? 0,
              mismatch: percentText(num(e.mismatchPercent) ?? 0),
              fields: (Array.isArray(e.fields) ? e.fields : [])
                .filter(isRecord)
                .map((f) => ({ path: str(f.path) ?? '?', percent: percentText(num(f.percent) ?? 0) })),
            })),
            reportUrl: uiPath(verdict.reportUrl),
          }
        : null,
  };
}

function isMeasurement(value: unknown): value is Measurement {
  return (
    isRecord(value) && typeof value.metric === 'string' && typeof value.iteration === 'number' && typeof value.outcome === 'string' && isRecord(value.threshold)
  );
}

export function flagReleaseView(step: Pick<RolloutStep, 'kind' | 'status' | 'detail'>): FlagReleaseView | null {
  if (step.kind !== 'flag-release' || !isRecord(step.detail)) return null;
  const detail = step.detail;
  const flags = (Array.isArray(detail.flags) ? detail.flags : []).filter((f): f is string => typeof f === 'string');
  const percents = (Array.isArray(detail.steps) ? detail.steps : []).filter((p): p is number => typeof p === 'number');
  const index = num(detail.stepIndex) ?? -1;
  // A finished stage has passed every step it reached; only a live one has a "current" step.
  const live = step.status === 'running' || step.status === 'waiting';
  const tripped = isRecord(detail.tripped) ? detail.tripped : null;
  const verdict = isRecord(detail.verdict) && typeof detail.verdict.verdict === 'string' ? (detail.verdict as unknown as AnalysisVerdict) : null;
  return {
    flags,
    interval: num(detail.intervalMs) !== null ? intervalText(num(detail.intervalMs)!) : '?',
    steps: percents.map((percent, i) => ({
      percent,
      label: percentText(percent),
      state: i < index || (i === index && !live && !tripped && step.status === 'succeeded') ? 'done' : i === index ? 'current' : 'next',
    })),
    stepStartedAt: str(detail.stepStartedAt),
    measurements: (Array.isArray(detail.measurements) ? detail.measurements : []).filter(isMeasurement),
    verdict,
    tripped: tripped
      ? {
          text: `Guardrail ${str(tripped.metric) ?? '?'} tripped at ${percentText(num(tripped.percent) ?? 0)} of ${str(tripped.flag) ?? 'the flag'}: ${
            str(tripped.reason) ?? 'no reason recorded'
          }. The flag is back where it was before the release; the new version stays deployed.`,
          at: str(tripped.at) ?? '',
        }
      : null,
  };
}

/** The gate's heading: which decision a person is asked for, in the stage's own words. */
export function gateTitle(gate: { environment: string; step: string; kind: 'approval' | 'inconclusive' }): string {
  if (gate.kind === 'approval') return `Approval needed for ${gate.environment}`;
  if (gate.step === 'dark-launch') return `Too little mirrored traffic for a verdict in ${gate.environment}: continue or abort?`;
  if (gate.step === 'flag-release') return `Flag release in ${gate.environment} needs a decision: continue or abort?`;
  return `Inconclusive analysis needed for ${gate.environment}`;
}
