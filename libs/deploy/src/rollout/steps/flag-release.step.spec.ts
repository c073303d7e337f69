import { PrometheusError } from '../../analysis/prometheus.client';
import type { EnvironmentPlan } from '../../kubernetes/manifest-set';
import type { FlagReleaseSpec } from '../../pipeline/pipeline-spec';
import type { Rollout } from '../rollout.entity';
import { FakeRolloutCluster } from '../testing/fake-rollout-cluster';
import { InMemoryFlagUsage, InMemoryFlagWrites } from '../testing/in-memory-flag-writes';
import { inMemoryInterrupts, inMemoryRecorder, rolloutFixture } from '../testing/in-memory-rollouts.repository';
import { FlagReleaseStep, type FlagReleaseDetail } from './flag-release.step';

// The flag release over in-memory flags and rollouts and a Prometheus whose answers each test
// gives. Holds are 1 ms, so a step's wait ends at once; nothing else waits on a clock.
const release = (overrides: Partial<FlagReleaseSpec> = {}): FlagReleaseSpec => ({
  flags: ['new-checkout'],
  steps: [10, 50, 100],
  interval: '1ms',
  guardrails: {
    minSamples: 0,
    failureLimit: 0,
    metrics: [{ name: 'error-rate', query: 'sum(rate(http_errors_total{service="{{service}}"}[1m]))', max: 0.05 }],
  },
  ...overrides,
});

function setUp(spec = release()) {
  const world = inMemoryRecorder();
  const cluster = new FakeRolloutCluster();
  const { signals, interrupts } = inMemoryInterrupts();
  const flags = new InMemoryFlagWrites();
  const usage = new InMemoryFlagUsage();
  flags.addBooleanFlag('new-checkout', ['staging', 'production']);
  const step = new FlagReleaseStep(world.recorder, cluster.asCluster, interrupts, signals, flags, usage);
  const environment: EnvironmentPlan = { name: 'production', namespace: 'shop-production', approval: 'none', release: spec, objects: [] };
  const rollout: Rollout = {
    ...rolloutFixture([
      { kind: 'deploy', environment: 'production', status: 'succeeded' },
      { kind: 'flag-release', environment: 'production' },
    ]),
    currentStep: 1,
    plan: { environments: [environment] },
  };
  world.rollouts.add(rollout);
  const signal = new AbortController().signal;
  const at = async () => {
    const current = (await world.rollouts.find({} as never, 'r-1'))!;
    return { rollout: current, index: 1, step: current.steps[1], signal };
  };
  const stored = async () => (await world.rollouts.find({} as never, 'r-1'))!;
  return { ...world, cluster, flags, usage, step, at, stored };
}

describe('FlagReleaseStep', () => {
  it('steps the flag up to 100% while the guardrails hold, writing as the rollout with the release as comment', async () => {
    const world = setUp();
    world.cluster.answerQueries(() => ({ kind: 'value', value: 0.01 }));
    await expect(world.step.run(await world.at())).resolves.toBe('continue');

    expect(world.flags.writes.map((w) => (w.patch.defaultServe as { rollout: Array<{ weight: number }> }).rollout[0].weight)).toEqual([
      10_000, 50_000, 100_000,
    ]);
    expect(world.flags.writes[0].ctx).toEqual({
      actor: 'system:rollout',
      comment: 'release rel-1: covered by its approval',
      confirmed: ['production'],
      coveredByRelease: 'rel-1',
    });
    expect(world.flags.percentOn('new-checkout', 'production')).toBe(100);
    expect(world.flags.percentOn('new-checkout', 'staging')).toBeUndefined();
    // One salt for the whole stage: users who had the feature at 10% keep it at 50% and 100%.
    const salts = new Set(world.flags.writes.map((w) => (w.result.defaultServe as { salt: string }).salt));
    expect(salts.size).toBe(1);

    const rollout = await world.stored();
    expect(rollout.currentStep).toBe(2);
    expect(rollout.steps[1]).toMatchObject({ status: 'succeeded', message: 'new-checkout on for 100% of users in production: every guardrail within bounds' });
    expect(world.audit.map((e) => e.action)).toEqual([
      'rollout.flag-release.step',
      'rollout.flag-release.step',
      'rollout.flag-release.step',
      'rollout.flag-release.completed',
    ]);
    expect(world.notifications.map((n) => n.event)).toEqual(Array(3).fill('rollout.flag-release.verdict'));
  });

  it('trips the kill switch on a failing guardrail: the flag goes back, the rollout fails, the image stays', async () => {
    const world = setUp();
    // Asked once to check the query before any flag changes, then once per step: fine at 10%, not at 50%.
    let asked = 0;
    world.cluster.answerQueries(() => ({ kind: 'value', value: ++asked > 2 ? 0.2 : 0.01 }));
    await expect(world.step.run(await world.at())).resolves.toBe('stop');

    expect(world.flags.percentOn('new-checkout', 'production')).toBeUndefined();
    expect(world.flags.flags.get('new-checkout')!.environments.production).toMatchObject({ enabled: false, defaultServe: { variant: 'on' } });
    expect(world.cluster.restores).toEqual([]);
    const rollout = await world.stored();
    expect(rollout).toMatchObject({ status: 'failed', verdict: { verdict: 'Failed', metric: 'error-rate' } });
    expect(rollout.error).toMatch(
      /^guardrail tripped at 50%: error-rate 0.2 is above max 0.05.*new-checkout restored to their state before the release \(production keeps 1.2.0\)$/,
    );
    expect((rollout.steps[1].detail as FlagReleaseDetail).tripped).toMatchObject({ percent: 50, metric: 'error-rate' });
    expect(world.rollouts.locks.size).toBe(0);
    expect(world.audit.map((e) => e.action).slice(-2)).toEqual(['rollout.flag-release.tripped', 'rollout.failed']);
  });

  it('refuses to start with a flag that is missing or not boolean, touching no flag', async () => {
    const missing = setUp(release({ flags: ['new-checkout', 'dark-mode'] }));
    await expect(missing.step.run(await missing.at())).resolves.toBe('stop');
    expect(await missing.stored()).toMatchObject({
      status: 'failed',
      error: 'flag release refused: flag dark-mode does not exist; no flag was changed and production keeps 1.2.0',
    });
    expect(missing.flags.writes).toEqual([]);

    const theme = setUp(release({ flags: ['theme'] }));
    theme.flags.addBooleanFlag('theme', ['production'], { type: 'string', variants: { light: 'light', dark: 'dark' } });
    await expect(theme.step.run(await theme.at())).resolves.toBe('stop');
    expect((await theme.stored()).error).toMatch(/flag theme is a string flag; a flag release turns boolean flags on/);
  });

  it('fails at once when Prometheus rejects a guardrail query', async () => {
    const world = setUp();
    world.cluster.answerQueries(() => {
      throw new PrometheusError('parse error: unexpected "}"', 'rejected');
    });
    await expect(world.step.run(await world.at())).resolves.toBe('stop');
    expect((await world.stored()).error).toMatch(/^flag release refused: guardrail error-rate: parse error/);
    expect(world.flags.writes).toEqual([]);
  });

  it('waits for a person when the guardrails prove nothing (no Prometheus)', async () => {
    const world = setUp();
    await expect(world.step.run(await world.at())).resolves.toBe('stop');
    const rollout = await world.stored();
    expect(rollout).toMatchObject({ status: 'waiting', gate: { step: 'flag-release', environment: 'production' } });
    expect(rollout.steps[1].message).toMatch(/^Inconclusive at 10%: Prometheus error: PROMETHEUS_URL is not set/);
    expect(world.flags.percentOn('new-checkout', 'production')).toBe(10);
    expect(world.notifications.map((n) => n.event)).toEqual(['rollout.flag-release.verdict', 'gate.waiting']);
  });

  it('on abort puts every flag back where it was before the stage', async () => {
    const world = setUp();
    await world.step.run(await world.at());
    expect(world.flags.percentOn('new-checkout', 'production')).toBe(10);
    await expect(world.step.abort(await world.at())).resolves.toEqual({ notes: ['new-checkout restored to their state before the release'] });
    expect(world.flags.flags.get('new-checkout')!.environments.production).toMatchObject({ enabled: false, defaultServe: { variant: 'on' } });
  });
});
