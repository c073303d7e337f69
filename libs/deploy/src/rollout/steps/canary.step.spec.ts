import pino from 'pino';
import type { Measurement } from '../../analysis/canary-analysis';
import type { KubeObject } from '../../kubernetes/kube-resources';
import type { EnvironmentPlan } from '../../kubernetes/manifest-set';
import type { Rollout } from '../rollout.entity';
import { FakeRolloutCluster } from '../testing/fake-rollout-cluster';
import { inMemoryInterrupts, inMemoryRecorder, rolloutFixture } from '../testing/in-memory-rollouts.repository';
import { AnalysisStep } from './analysis.step';
import { CanaryStep } from './canary.step';

// Canary and analysis over the in-memory recorder and a scripted cluster without Prometheus.
// Measurements are seeded where a test needs a verdict, so no test waits for an interval.
const shop: KubeObject = {
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'shop', namespace: 'shop-production' },
  spec: {
    replicas: 4,
    selector: { matchLabels: { app: 'shop' } },
    template: { metadata: { labels: { app: 'shop' } }, spec: { containers: [{ name: 'shop', image: 'registry.test/shop:1.2.0' }] } },
  },
};
const analysis = {
  interval: '1ms',
  iterations: 2,
  minSamples: 10,
  failureLimit: 0,
  metrics: [{ name: 'error-rate', query: 'sum(rate(errors{track="{{track}}"}[1m]))', max: 0.05 }],
};

async function setUp(options: { stable?: boolean; measured?: Array<Measurement['outcome']> } = {}) {
  const world = inMemoryRecorder();
  const cluster = new FakeRolloutCluster();
  const { interrupts } = inMemoryInterrupts();
  const canary = new CanaryStep(world.recorder, cluster.asCluster, interrupts);
  const analysisStep = new AnalysisStep(world.recorder, cluster.asCluster, interrupts, canary, pino({ level: 'silent' }));
  const environment: EnvironmentPlan = {
    name: 'production',
    namespace: 'shop-production',
    approval: 'none',
    primary: 'shop',
    canary: { replicas: 1, analysis },
    objects: [shop],
  };
  const rollout: Rollout = {
    ...rolloutFixture([
      { kind: 'canary', environment: 'production' },
      { kind: 'analysis', environment: 'production' },
      { kind: 'promote', environment: 'production' },
    ]),
    plan: { environments: [environment] },
  };
  world.rollouts.add(rollout);
  if (options.stable !== false) {
    const running = structuredClone(shop);
    (running.spec!.template as { spec: { containers: Array<{ image: string }> } }).spec.containers[0].image = 'registry.test/shop:1.1.0';
    cluster.put(running);
  }
  const measuredAt = new Date(Date.now() - 60_000).toISOString();
  const measurements = (options.measured ?? []).map((outcome, i) => ({
    iteration: i + 1,
    metric: 'error-rate',
    query: analysis.metrics[0].query,
    canary: outcome === 'failed' ? 0.2 : 0.01,
    stable: 0.01,
    samples: outcome === 'inconclusive' ? 3 : 500,
    threshold: { max: 0.05, minSamples: 10 },
    outcome,
    reason: outcome === 'failed' ? 'error-rate 0.2 > max 0.05' : outcome === 'inconclusive' ? '3 samples < minSamples 10' : 'error-rate 0.01 ≤ 0.05',
    measuredAt,
  }));
  await world.rollouts.addMeasurements({} as never, 'r-1', 'production', measurements);
  const signal = new AbortController().signal;
  const at = async (index: number) => {
    const current = (await world.rollouts.find({} as never, 'r-1'))!;
    return { rollout: current, index, step: current.steps[index], signal };
  };
  return { ...world, cluster, canary, analysis: analysisStep, at };
}

const stored = async (world: { rollouts: { find(m: never, id: string): Promise<Rollout | undefined> } }) => (await world.rollouts.find({} as never, 'r-1'))!;

describe('CanaryStep', () => {
  it('deploys <primary>-canary with the canary track and one replica, and moves on once it is ready', async () => {
    const world = await setUp();
    await expect(world.canary.run(await world.at(0))).resolves.toBe('continue');
    const canary = world.cluster.live.get('Deployment shop-production/shop-canary');
    expect(canary?.metadata.labels).toMatchObject({ track: 'canary' });
    expect(canary?.spec).toMatchObject({ replicas: 1 });
    const rollout = await stored(world);
    expect(rollout.currentStep).toBe(1);
    expect(rollout.steps[0]).toMatchObject({
      status: 'succeeded',
      message: 'shop-canary is ready (1 replica)',
      detail: { deployment: 'shop-canary', uid: 'uid-shop-canary', replicas: 1 },
    });
    expect(world.audit.map((e) => e.action)).toEqual(['rollout.applied']);
  });

  it('skips canary and analysis on the first deploy of an environment', async () => {
    const world = await setUp({ stable: false });
    await expect(world.canary.run(await world.at(0))).resolves.toBe('continue');
    const rollout = await stored(world);
    expect(rollout.currentStep).toBe(2);
    expect(rollout.steps.map((s) => s.status)).toEqual(['skipped', 'skipped', 'pending']);
    expect(rollout.steps[0].message).toMatch(/^no stable Deployment shop in shop-production yet: first deploy/);
    expect(world.audit.map((e) => e.action)).toEqual(['rollout.canary.skipped']);
  });

  it('deletes a canary that never becomes ready and fails the rollout, the stable track untouched', async () => {
    const world = await setUp();
    world.cluster.canary = 'shop-canary';
    world.cluster.waits.set('shop-canary', { ok: false, reason: 'PodsFailing', message: '1 pod failing (ImagePullBackOff)', elapsedMs: 9 });
    await expect(world.canary.run(await world.at(0))).resolves.toBe('stop');
    expect(world.cluster.canariesDeleted).toEqual(['shop-production/shop-canary']);
    const rollout = await stored(world);
    expect(rollout).toMatchObject({ status: 'failed', error: 'canary shop-canary did not become ready: 1 pod failing (ImagePullBackOff)' });
    expect(rollout.steps.map((s) => [s.kind, s.status])).toEqual([
      ['canary', 'failed'],
      ['analysis', 'pending'],
      ['promote', 'pending'],
      ['rollback', 'succeeded'],
    ]);
    expect(rollout.steps[3].message).toBe('canary shop-canary deleted; production still runs registry.test/shop:1.1.0');
    expect(world.rollouts.locks.size).toBe(0);
    expect(world.audit.map((e) => e.action)).toEqual(['rollout.applied', 'rollout.rolled-back', 'rollout.failed']);
    expect(world.notifications.map((n) => n.event)).toEqual(['rollout.failed', 'rollout.rolled-back']);
  });
});

describe('AnalysisStep', () => {
  it('moves on to promote when every iteration is within bounds', async () => {
    const world = await setUp({ measured: ['successful', 'successful'] });
    await expect(world.analysis.run(await world.at(1))).resolves.toBe('continue');
    const rollout = await stored(world);
    expect(rollout).toMatchObject({ currentStep: 2, verdict: { verdict: 'Successful', iterations: 2, failures: 0 } });
    expect(rollout.steps[1]).toMatchObject({ status: 'succeeded', message: 'Successful: 2 iterations, every metric within bounds' });
    expect(world.audit.map((e) => e.action)).toEqual(['rollout.verdict']);
    expect(world.metrics).toContainEqual(['verdict', 'shop', 'production', 'Successful']);
  });

  it('deletes the canary and fails the rollout on a Failed verdict', async () => {
    const world = await setUp({ measured: ['failed'] });
    world.cluster.canary = 'shop-canary';
    await expect(world.analysis.run(await world.at(1))).resolves.toBe('stop');
    expect(world.cluster.canariesDeleted).toEqual(['shop-production/shop-canary']);
    const rollout = await stored(world);
    expect(rollout).toMatchObject({
      status: 'failed',
      verdict: { verdict: 'Failed', metric: 'error-rate' },
      error: expect.stringMatching(/^Failed: error-rate 0.2 > max 0.05/),
    });
    expect(rollout.steps.map((s) => s.status)).toEqual(['pending', 'failed', 'pending', 'succeeded']);
    expect(world.audit.map((e) => e.action)).toEqual(['rollout.verdict', 'rollout.rolled-back', 'rollout.failed']);
  });

  it('without Prometheus measures every iteration as inconclusive and waits for a person', async () => {
    const world = await setUp();
    await expect(world.analysis.run(await world.at(1))).resolves.toBe('stop');
    const rollout = await stored(world);
    expect(world.rollouts.measured.map((m) => [m.iteration, m.outcome])).toEqual([
      [1, 'inconclusive'],
      [2, 'inconclusive'],
    ]);
    expect(world.rollouts.measured[0].reason).toBe('Prometheus error: PROMETHEUS_URL is not set on the server');
    expect(rollout).toMatchObject({ status: 'waiting', verdict: { verdict: 'Inconclusive' }, gate: { step: 'analysis', environment: 'production' } });
    expect(world.audit.map((e) => e.action)).toEqual(['rollout.verdict', 'rollout.gate.waiting']);
    expect(world.notifications).toEqual([expect.objectContaining({ event: 'gate.waiting', detail: expect.objectContaining({ gate: 'inconclusive' }) })]);
  });

  it('on abort removes the canary', async () => {
    const world = await setUp();
    world.cluster.canary = 'shop-canary';
    await expect(world.analysis.abort(await world.at(1))).resolves.toEqual({ notes: ['canary shop-canary deleted'] });
  });
});
