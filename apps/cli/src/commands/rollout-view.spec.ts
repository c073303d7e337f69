import type { Rollout, RolloutStep } from '@switchyard/deploy';
import { describeRollout, stageLines } from './rollout-view';

// Step details shaped as the issue 14 contract lays them out; the engine writes them later.
const darkLaunch = {
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

const flagRelease = {
  flags: ['quotes.new-pricing'],
  steps: [1, 10, 50, 100],
  intervalMs: 600_000,
  stepIndex: 1,
  stepStartedAt: '2026-12-07T16:20:00.000Z',
  previous: { 'quotes.new-pricing': { enabled: false } },
  measurements: [],
  verdict: { verdict: 'Failed', reason: 'error-rate 4.1 is above 1', iterations: 2, failures: 1, inconclusive: 0 },
  tripped: { flag: 'quotes.new-pricing', percent: 10, metric: 'error-rate', reason: 'error-rate 4.1 is above 1', at: '2026-12-07T16:25:00.000Z' },
};

const step = (kind: string, status: RolloutStep['status'], detail: Record<string, unknown> | null, message: string | null = null): RolloutStep => ({
  // Cast: 'flag-release' joins STEP_KINDS with the engine's handler; the view must print it already.
  kind: kind as RolloutStep['kind'],
  environment: 'production',
  status,
  startedAt: '2026-12-07T16:00:00.000Z',
  finishedAt: '2026-12-07T16:05:00.000Z',
  durationMs: 300_000,
  message,
  detail,
});

function rollout(steps: RolloutStep[], fields: Partial<Rollout> = {}): Rollout {
  return {
    id: 'ro-1',
    kind: 'release',
    releaseId: 'rel-1',
    service: 'quotes',
    version: '1.4.0',
    image: 'registry.example/quotes:1.4.0',
    imageDigest: null,
    status: 'failed',
    currentStep: 0,
    steps,
    gate: null,
    verdict: null,
    error: null,
    decisions: [],
    abortRequested: null,
    cleanupPending: false,
    supersededBy: null,
    createdBy: 'token:ci',
    reason: null,
    createdAt: '2026-12-07T16:00:00.000Z',
    updatedAt: '2026-12-07T16:05:00.000Z',
    finishedAt: null,
    plan: { environments: [] },
    ...fields,
  };
}

describe('rollout view: every stage with its verdict and reason', () => {
  it('prints a failed dark launch with the endpoints and fields that decided it and the report', () => {
    const text = describeRollout(
      rollout([step('dark-launch', 'failed', darkLaunch, 'dark launch failed'), step('gate', 'pending', null)], {
        error: 'the dark launch failed: $.price differs',
      }),
    );
    expect(text).toContain('  dark-launch production');
    expect(text).toContain('      verdict: fail — $.price differs in 25.0 % of 1,200 comparisons on GET /quotes/:symbol; the limit is 0.1 %\n');
    expect(text).toContain('        GET /quotes/:symbol: 1,200 compared, 25 % mismatched ($.price 25 %)\n');
    expect(text).toContain('      report: /dark-launch?route=quotes\n');
    expect(text).toContain('      route quotes, sample 10 %, needs 500 comparisons at most 0.1 % mismatched\n');
  });

  it('prints progress while the dark launch has no verdict, and names its gate when it waits', () => {
    const { verdict: _verdict, ...waiting } = darkLaunch;
    const text = describeRollout(
      rollout([step('dark-launch', 'waiting', { ...waiting, progress: { compared: 312, mismatched: 1 } })], {
        status: 'waiting',
        gate: { environment: 'production', step: 'dark-launch', kind: 'inconclusive', since: '2026-12-07T16:10:00.000Z', plan: null },
      }),
    );
    expect(text).toContain('▶ dark-launch production');
    expect(text).toContain('      progress: 312 of 500 comparisons, 1 mismatched\n');
    expect(text).toContain('waiting at the dark launch with too little mirrored traffic for production: switchyard approve|abort rel-1');
  });

  it('prints the flag release steps with the held one, the guardrail that tripped and the verdict', () => {
    expect(stageLines(step('flag-release', 'failed', flagRelease))).toEqual([
      'flags quotes.new-pricing, every 10m00s',
      'steps: 1 % ✓  [10 %]  50 %  100 %',
      'tripped: error-rate at 10 % of quotes.new-pricing — error-rate 4.1 is above 1; the flag is back where it was',
      'verdict: Failed — error-rate 4.1 is above 1',
    ]);
    const done = stageLines(step('flag-release', 'succeeded', { ...flagRelease, stepIndex: 3, tripped: undefined, verdict: undefined }));
    expect(done[1]).toBe('steps: 1 % ✓  10 % ✓  50 % ✓  100 % ✓');
  });

  it('prints nothing extra for a stage without detail and keeps the other steps as they were', () => {
    expect(stageLines(step('flag-release', 'pending', null))).toEqual([]);
    expect(stageLines(step('deploy', 'succeeded', { objects: [] }))).toEqual([]);
    expect(stageLines(step('analysis', 'succeeded', { verdict: { verdict: 'Successful', reason: 'all metrics within thresholds' } }))).toEqual([
      'verdict: Successful — all metrics within thresholds',
    ]);
  });
});
