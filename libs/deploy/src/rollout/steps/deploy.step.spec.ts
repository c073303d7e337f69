import { KubeApiError } from '../../kubernetes/kube-client';
import type { KubeObject } from '../../kubernetes/kube-resources';
import type { EnvironmentPlan } from '../../kubernetes/manifest-set';
import type { Rollout } from '../rollout.entity';
import { FakeRolloutCluster } from '../testing/fake-rollout-cluster';
import { inMemoryInterrupts, inMemoryRecorder, rolloutFixture } from '../testing/in-memory-rollouts.repository';
import { DeployStep } from './deploy.step';
import { PromoteStep } from './promote.step';
import { RollbackStep } from './rollback.step';

// Deploy and promote over the in-memory recorder and a scripted cluster: what is recorded, audited
// and appended on each outcome. Applying and waiting for real run against the simulator in test/e2e/rollout.
const deployment = (name: string): KubeObject => ({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name, namespace: 'shop-production' }, spec: {} });
const config: KubeObject = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'shop-config', namespace: 'shop-production' }, data: { mode: 'live' } };
const secret: KubeObject = { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'shop-db', namespace: 'shop-production' }, data: { password: 'c2VjcmV0' } };

function productionPlan(overrides: Partial<EnvironmentPlan> = {}): EnvironmentPlan {
  return {
    name: 'production',
    namespace: 'shop-production',
    approval: 'none',
    objects: [config, secret, deployment('shop'), deployment('shop-worker')],
    ...overrides,
  };
}

async function setUp(kind: 'deploy' | 'promote' = 'deploy', plan = productionPlan()) {
  const world = inMemoryRecorder();
  const cluster = new FakeRolloutCluster();
  const { signals, interrupts } = inMemoryInterrupts();
  const rollback = new RollbackStep(world.recorder, cluster.asCluster);
  const step =
    kind === 'deploy'
      ? new DeployStep(world.recorder, cluster.asCluster, interrupts, rollback)
      : new PromoteStep(world.recorder, cluster.asCluster, interrupts, rollback);
  const rollout: Rollout = { ...rolloutFixture([{ kind, environment: 'production' }]), plan: { environments: [plan] } };
  world.rollouts.add(rollout);
  await world.rollouts.recordDeployment({} as never, {
    service: 'shop',
    environment: 'production',
    namespace: 'shop-production',
    kind: 'release',
    releaseId: 'rel-0',
    rolloutId: 'r-0',
    version: '1.1.0',
    image: 'registry.test/shop:1.1.0',
    imageDigest: null,
    workloads: [],
    deployedBy: 'user:ada@example.com',
    reason: null,
  });
  const shutdown = new AbortController();
  const context = () => ({ rollout, index: 0, step: rollout.steps[0], signal: shutdown.signal });
  return { ...world, cluster, signals, shutdown, step, rollout, context };
}

const stored = async (world: { rollouts: { find(m: never, id: string): Promise<Rollout | undefined> } }) => (await world.rollouts.find({} as never, 'r-1'))!;

describe('DeployStep', () => {
  it('applies, waits for every Deployment, records the release in the history and moves on', async () => {
    const world = await setUp();
    await expect(world.step.run(world.context())).resolves.toBe('continue');

    expect(world.cluster.namespaces).toEqual(['shop-production']);
    expect(world.cluster.applied[0].map((o) => o.metadata.name)).toEqual(['shop-config', 'shop-db', 'shop', 'shop-worker']);
    expect(world.cluster.waitedFor.sort()).toEqual(['shop', 'shop-worker']);
    const rollout = await stored(world);
    expect(rollout.currentStep).toBe(1);
    expect(rollout.steps[0]).toMatchObject({
      status: 'succeeded',
      message: 'production runs 1.2.0',
      detail: { applied: expect.arrayContaining([expect.objectContaining({ kind: 'Deployment', name: 'shop', uid: 'uid-shop' })]) },
    });
    expect(world.audit.map((e) => e.action)).toEqual(['rollout.applied', 'rollout.deployed']);
    const [current] = await world.rollouts.history({} as never, 'shop', 'production', 1);
    expect(current).toMatchObject({ kind: 'release', version: '1.2.0', rolloutId: 'r-1', deployedBy: 'user:ada@example.com' });
    expect(current.workloads.map((w) => w.metadata.name)).toEqual(['shop', 'shop-worker']);
    // A Secret is recorded as a reference to this rollout's plan, never with its values.
    const recordedSecret = current.objects?.find((o) => o.kind === 'Secret');
    expect(recordedSecret).toMatchObject({ valuesFrom: { rolloutId: 'r-1', environment: 'production' } });
    expect(JSON.stringify(recordedSecret)).not.toContain('c2VjcmV0');
    expect(world.metrics).toEqual([['stepFinished', 'shop', 'production', 'deploy', 'succeeded', expect.any(Number)]]);
  });

  it('fails the step when pods fail and rolls the environment back to its previous release', async () => {
    const world = await setUp();
    const pods = [{ pod: 'shop-7c9-x', container: 'shop', reason: 'CrashLoopBackOff', message: 'back-off restarting failed container' }];
    world.cluster.waits.set('shop', { ok: false, reason: 'PodsFailing', message: 'shop: 1 pod failing (CrashLoopBackOff)', pods, elapsedMs: 30 });
    await expect(world.step.run(world.context())).resolves.toBe('stop');

    const rollout = await stored(world);
    expect(rollout.steps.map((s) => [s.kind, s.status])).toEqual([
      ['deploy', 'failed'],
      ['rollback', 'succeeded'],
    ]);
    expect(rollout.steps[0]).toMatchObject({ message: 'shop: 1 pod failing (CrashLoopBackOff)', detail: expect.objectContaining({ pods }) });
    expect(rollout).toMatchObject({ status: 'failed', currentStep: 1, error: 'shop: 1 pod failing (CrashLoopBackOff)' });
    expect(world.cluster.restores).toEqual([
      expect.objectContaining({ environment: 'production', target: expect.objectContaining({ version: '1.1.0' }), abortable: true }),
    ]);
    expect(world.audit.map((e) => e.action)).toEqual([
      'rollout.applied',
      'rollout.step.failed',
      'environment.rolled-back',
      'rollout.rolled-back',
      'rollout.failed',
    ]);
  });

  it('fails without waiting when the cluster refuses the manifests, and retries (throws) on a transient error', async () => {
    const refused = await setUp();
    refused.cluster.applyError = new KubeApiError(422, 'Invalid', 'Deployment.apps "shop" is invalid: spec.replicas: must be >= 0', 'PATCH', '/apis/apps/v1');
    await expect(refused.step.run(refused.context())).resolves.toBe('stop');
    expect((await stored(refused)).steps[0]).toMatchObject({ status: 'failed', message: expect.stringMatching(/^the cluster refused the manifests: /) });
    expect(refused.cluster.waitedFor).toEqual([]);

    const flaky = await setUp();
    flaky.cluster.applyError = new KubeApiError(503, 'ServiceUnavailable', 'etcd leader changed', 'PATCH', '/apis/apps/v1');
    await expect(flaky.step.run(flaky.context())).rejects.toThrow('etcd leader changed');
    expect((await stored(flaky)).steps).toEqual([expect.objectContaining({ kind: 'deploy', status: 'running' })]);
  });

  it('leaves the step running when a wait is interrupted: stop on shutdown, continue (to the abort) on an abort request', async () => {
    const stopping = await setUp();
    stopping.cluster.waits.set('shop', { ok: false, reason: 'Aborted', message: 'aborted', elapsedMs: 1 });
    const stoppingWaiting = stopping.cluster.whenWaiting();
    const stoppingRun = stopping.step.run(stopping.context());
    await stoppingWaiting;
    stopping.shutdown.abort();
    await expect(stoppingRun).resolves.toBe('stop');
    expect((await stored(stopping)).steps[0].status).toBe('running');

    const aborting = await setUp();
    aborting.cluster.waits.set('shop', { ok: false, reason: 'Aborted', message: 'aborted', elapsedMs: 1 });
    const abortingWaiting = aborting.cluster.whenWaiting();
    const abortingRun = aborting.step.run(aborting.context());
    await abortingWaiting;
    aborting.signals.emit({ kind: 'abort', rolloutId: 'r-1' });
    await expect(abortingRun).resolves.toBe('continue');
    expect((await stored(aborting)).steps[0].status).toBe('running');
  });

  it('on abort restores a half-deployed environment, and does nothing for a deploy that never started', async () => {
    const world = await setUp();
    const running = { ...world.rollout.steps[0], status: 'running' as const };
    await expect(world.step.abort({ rollout: world.rollout, index: 0, step: running, signal: world.shutdown.signal })).resolves.toEqual({
      notes: ['restored the previous release'],
      restored: 'restored the previous release',
    });
    expect(world.cluster.restores).toEqual([expect.objectContaining({ target: expect.objectContaining({ version: '1.1.0' }), abortable: false })]);
    await expect(world.step.abort(world.context())).resolves.toEqual({ notes: [] });
  });
});

describe('PromoteStep', () => {
  const withCanary = () => productionPlan({ primary: 'shop', canary: { replicas: 1 } as EnvironmentPlan['canary'] });

  it('removes the canary once the stable track is ready', async () => {
    const world = await setUp('promote', withCanary());
    world.cluster.canary = 'shop-canary';
    await expect(world.step.run(world.context())).resolves.toBe('continue');
    expect(world.cluster.canariesDeleted).toEqual(['shop-production/shop-canary']);
    expect((await stored(world)).steps[0]).toMatchObject({ status: 'succeeded', message: 'production runs 1.2.0; canary shop-canary removed' });
    expect(world.audit.map((e) => e.action)).toEqual(['rollout.applied', 'rollout.promoted']);
  });

  it('removes the canary before rolling back a failed promotion, and on abort', async () => {
    const failing = await setUp('promote', withCanary());
    failing.cluster.canary = 'shop-canary';
    failing.cluster.waits.set('shop', { ok: false, reason: 'ProgressDeadlineExceeded', message: 'shop exceeded its progress deadline', elapsedMs: 600 });
    await expect(failing.step.run(failing.context())).resolves.toBe('stop');
    expect(failing.cluster.canariesDeleted).toEqual(['shop-production/shop-canary']);
    expect((await stored(failing)).steps.map((s) => s.status)).toEqual(['failed', 'succeeded']);

    const aborted = await setUp('promote', withCanary());
    aborted.cluster.canary = 'shop-canary';
    const running = { ...aborted.rollout.steps[0], status: 'running' as const };
    await expect(aborted.step.abort({ rollout: aborted.rollout, index: 0, step: running, signal: aborted.shutdown.signal })).resolves.toEqual({
      notes: ['canary shop-canary deleted', 'restored the previous release'],
      restored: 'restored the previous release',
    });
  });
});
