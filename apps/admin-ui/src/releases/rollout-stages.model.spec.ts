import type { Measurement } from '../../../../libs/deploy/src/analysis/analysis.contract';
import type { RolloutStep } from '../../../../libs/deploy/src/rollout/rollout.contract';
import { darkLaunchView, flagReleaseView, gateTitle, intervalText, percentText } from './rollout-stages.model';

// Step details exactly as the issue 14 contract lays them out (the engine writes them later).
const darkLaunchDetail = {
  route: 'quotes',
  shadow: { deployment: 'quotes-shadow', namespace: 'quotes', url: null },
  sample: 10,
  minCompared: 500,
  maxMismatch: 0.1,
  deadline: '2026-12-07T16:40:00.000Z',
  progress: { compared: 1200, mismatched: 300 },
  verdict: {
    outcome: 'fail',
    reason: '$.price differs in 25.0 % of 1,200 comparisons on GET /quotes/:symbol; the limit is 0.1 %',
    compared: 1200,
    mismatchPercent: 25,
    endpoints: [{ endpoint: 'GET /quotes/:symbol', compared: 1200, mismatchPercent: 25, fields: [{ path: '$.price', percent: 25 }] }],
    reportUrl: '/dark-launch?route=quotes',
  },
};

const measurement = (iteration: number, canary: number, outcome: Measurement['outcome']): Measurement => ({
  iteration,
  metric: 'error-rate',
  query: 'sum(rate(errors[1m]))',
  canary,
  stable: 0.2,
  samples: 400,
  threshold: { max: 1, minSamples: 100 },
  outcome,
  reason: outcome === 'failed' ? 'error-rate 4.1 is above 1' : 'within 1',
  measuredAt: '2026-12-07T16:30:00.000Z',
});

const step = (kind: RolloutStep['kind'], status: RolloutStep['status'], detail: Record<string, unknown> | null): RolloutStep => ({
  kind,
  environment: 'production',
  status,
  startedAt: null,
  finishedAt: null,
  durationMs: null,
  message: null,
  detail,
});

describe('rollout stage views', () => {
  it('reads a failed dark launch: verdict, reason, endpoints and fields, link to the report', () => {
    const view = darkLaunchView(step('dark-launch', 'failed', darkLaunchDetail))!;
    expect(view.route).toBe('quotes');
    expect(view.sample).toBe('10 % of requests');
    expect(view.limits).toBe('at least 500 comparisons, at most 0.1 % mismatched');
    expect(view.shadow).toBe('quotes-shadow in quotes');
    expect(view.verdict).toEqual({
      outcome: 'fail',
      label: 'Failed',
      reason: darkLaunchDetail.verdict.reason,
      compared: 1200,
      mismatch: '25 %',
      endpoints: [{ endpoint: 'GET /quotes/:symbol', compared: 1200, mismatch: '25 %', fields: [{ path: '$.price', percent: '25 %' }] }],
      reportUrl: '/dark-launch?route=quotes',
    });
  });

  it('shows progress while the dark launch waits, and no verdict yet', () => {
    const { verdict: _verdict, ...waiting } = darkLaunchDetail;
    const view = darkLaunchView(step('dark-launch', 'running', { ...waiting, progress: { compared: 312, mismatched: 1 } }))!;
    expect(view.verdict).toBeNull();
    expect(view.progress).toBe('312 of 500 comparisons, 0.32 % mismatched');
  });

  it('labels insufficient data for a person and refuses a report link to another origin', () => {
    const view = darkLaunchView(
      step('dark-launch', 'waiting', {
        ...darkLaunchDetail,
        verdict: { ...darkLaunchDetail.verdict, outcome: 'insufficient-data', reportUrl: '//evil.example/x' },
      }),
    )!;
    expect(view.verdict?.label).toBe('Not enough traffic');
    expect(view.verdict?.reportUrl).toBeNull();
  });

  it('reads nothing from another kind of step or a detail not written yet', () => {
    expect(darkLaunchView(step('canary', 'running', darkLaunchDetail))).toBeNull();
    expect(darkLaunchView(step('dark-launch', 'pending', null))).toBeNull();
    expect(flagReleaseView(step('flag-release', 'pending', null))).toBeNull();
    expect(darkLaunchView(step('dark-launch', 'running', { route: 42 }))).toBeNull();
  });

  it('highlights the held step of a running flag release and keeps its guardrail measurements', () => {
    const view = flagReleaseView(
      step('flag-release', 'running', {
        flags: ['quotes.new-pricing'],
        steps: [1, 10, 50, 100],
        intervalMs: 600_000,
        stepIndex: 1,
        stepStartedAt: '2026-12-07T16:20:00.000Z',
        previous: { 'quotes.new-pricing': { enabled: false } },
        measurements: [measurement(0, 0.1, 'successful'), measurement(1, 0.3, 'successful'), { junk: true }],
      }),
    )!;
    expect(view.flags).toEqual(['quotes.new-pricing']);
    expect(view.interval).toBe('10 min');
    expect(view.steps.map((s) => `${s.label}:${s.state}`)).toEqual(['1 %:done', '10 %:current', '50 %:next', '100 %:next']);
    expect(view.measurements.map((m) => m.iteration)).toEqual([0, 1]);
    expect(view.tripped).toBeNull();
  });

  it('says which guardrail tripped, at what percent, and that the flag went back', () => {
    const view = flagReleaseView(
      step('flag-release', 'failed', {
        flags: ['quotes.new-pricing'],
        steps: [1, 10, 50, 100],
        intervalMs: 30_000,
        stepIndex: 1,
        stepStartedAt: null,
        previous: {},
        measurements: [measurement(1, 4.1, 'failed')],
        verdict: { verdict: 'Failed', reason: 'error-rate 4.1 is above 1', iterations: 2, failures: 1, inconclusive: 0 },
        tripped: { flag: 'quotes.new-pricing', percent: 10, metric: 'error-rate', reason: 'error-rate 4.1 is above 1', at: '2026-12-07T16:25:00.000Z' },
      }),
    )!;
    expect(view.steps.map((s) => s.state)).toEqual(['done', 'current', 'next', 'next']);
    expect(view.verdict?.verdict).toBe('Failed');
    expect(view.tripped?.text).toBe(
      'Guardrail error-rate tripped at 10 % of quotes.new-pricing: error-rate 4.1 is above 1. The flag is back where it was before the release; the new version stays deployed.',
    );
    expect(view.interval).toBe('30 s');
  });

  it('marks every reached step done once the release succeeded', () => {
    const view = flagReleaseView(step('flag-release', 'succeeded', { flags: ['f'], steps: [50, 100], intervalMs: 3_600_000, stepIndex: 1, measurements: [] }))!;
    expect(view.steps.map((s) => s.state)).toEqual(['done', 'done']);
    expect(view.interval).toBe('1 h');
  });

  it('titles the gate after the stage that waits', () => {
    expect(gateTitle({ environment: 'production', step: 'gate', kind: 'approval' })).toBe('Approval needed for production');
    expect(gateTitle({ environment: 'production', step: 'analysis', kind: 'inconclusive' })).toBe('Inconclusive analysis needed for production');
    expect(gateTitle({ environment: 'production', step: 'dark-launch', kind: 'inconclusive' })).toMatch(/^Too little mirrored traffic/);
    expect(gateTitle({ environment: 'production', step: 'flag-release', kind: 'inconclusive' })).toMatch(/^Flag release in production needs a decision/);
  });

  it('writes percentages and intervals as people read them', () => {
    expect(percentText(0.1 + 0.2)).toBe('0.3 %');
    expect(percentText(12.345)).toBe('12.35 %');
    expect(intervalText(5_400_000)).toBe('1 h 30 min');
  });
});
