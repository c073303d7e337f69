import { ValidationFailedError } from '@switchyard/errors';
import type { KubeObject } from '../../kubernetes/kube-resources';
import { RELEASE_ANNOTATION, type EnvironmentPlan } from '../../kubernetes/manifest-set';
import type { Rollout } from '../rollout.entity';
import { FakeRolloutCluster } from '../testing/fake-rollout-cluster';
import { InMemoryMirrorControl } from '../testing/in-memory-mirror-control';
import { inMemoryInterrupts, inMemoryRecorder, rolloutFixture } from '../testing/in-memory-rollouts.repository';
import { DarkLaunchStep, type DarkLaunchDetail } from './dark-launch.step';

// The dark-launch stage's outcomes over the in-memory recorder, a scripted cluster and an in-memory
// mirror whose report the test sets before the step reads it. The proxy side runs in test/e2e.
const quotes: KubeObject = {
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'quotes', namespace: 'quotes-prod', annotations: { [RELEASE_ANNOTATION]: 'rel-1' } },
  spec: {
    replicas: 3,
    selector: { matchLabels: { app: 'quotes' } },
    template: { metadata: { labels: { app: 'quotes' } }, spec: { containers: [{ name: 'quotes', image: 'registry.test/quotes:1.2.0' }] } },
  },
};
const quotesService: KubeObject = {
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name: 'quotes', namespace: 'quotes-prod' },
  spec: { selector: { app: 'quotes' }, ports: [{ port: 8080 }] },
};

function setUp(options: { withMirror?: boolean; live?: boolean; services?: KubeObject[]; timeout?: string } = {}) {
  const world = inMemoryRecorder();
  const cluster = new FakeRolloutCluster();
  const mirror = new InMemoryMirrorControl();
  const { interrupts } = inMemoryInterrupts();
  const step = new DarkLaunchStep(world.recorder, cluster.asCluster, interrupts, options.withMirror === false ? undefined : mirror);
  const environment: EnvironmentPlan = {
    name: 'production',
    namespace: 'quotes-prod',
    approval: 'required',
    primary: 'quotes',
    darkLaunch: { route: 'quotes', sample: 10, minCompared: 100, maxMismatch: 1, timeout: options.timeout ?? '10m' },
    objects: [...(options.services ?? [quotesService]), quotes],
  };
  const rollout: Rollout = {
    ...rolloutFixture([
      { kind: 'dark-launch', environment: 'production' },
      { kind: 'gate', environment: 'production' },
    ]),
    service: 'quotes',
    plan: { environments: [environment] },
  };
  world.rollouts.add(rollout);
  if (options.live !== false) cluster.put({ ...quotes, spec: { ...quotes.spec, replicas: 3 } });
  const signal = new AbortController().signal;
  const at = async () => {
    const current = (await world.rollouts.find({} as never, 'r-1'))!;
    return { rollout: current, index: 0, step: current.steps[0], signal };
  };
  const stored = async () => (await world.rollouts.find({} as never, 'r-1'))!;
  return { ...world, cluster, mirror, step, at, stored };
}

describe('DarkLaunchStep', () => {
  it('passes when enough comparisons agree: the shadow is removed, the route reset, and the rollout moves on to the gate', async () => {
    const world = setUp();
    world.mirror.reportWith({ compared: 250, mismatched: 1 });
    await expect(world.step.run(await world.at())).resolves.toBe('continue');

    expect(world.cluster.applied).toEqual([]); // nothing of the release's own objects is applied here
    expect(world.cluster.waitedFor).toEqual(['quotes-shadow']);
    expect(world.mirror.changes.map((c) => c.change)).toEqual(['ensureRoute', 'candidate http://quotes-shadow.quotes-prod.svc:8080', 'sampling 10', 'reset']);
    expect(world.mirror.routes.get('quotes')).toMatchObject({ candidate: 'http://quotes.quotes-prod.svc:8080', sample: 0, window: null });
    expect(world.cluster.deleted.sort()).toEqual(['Deployment quotes-prod/quotes-shadow', 'Service quotes-prod/quotes-shadow']);
    const rollout = await world.stored();
    expect(rollout.currentStep).toBe(1);
    expect(rollout.steps[0]).toMatchObject({ status: 'succeeded', message: expect.stringMatching(/^pass: /) });
    expect((rollout.steps[0].detail as DarkLaunchDetail).verdict).toMatchObject({ outcome: 'pass', compared: 250, reportUrl: '/dark-launch?route=quotes' });
    expect(world.audit.map((e) => e.action)).toEqual(['rollout.dark-launch.started', 'rollout.dark-launch.verdict']);
    expect(world.notifications.map((n) => n.event)).toEqual(['rollout.dark-launch.verdict']);
  });

  it('fails the release when the shadow differs beyond the limit, before any user traffic reaches it', async () => {
    const world = setUp();
    world.mirror.reportWith({ compared: 200, mismatched: 30 });
    await expect(world.step.run(await world.at())).resolves.toBe('stop');
    const rollout = await world.stored();
    expect(rollout).toMatchObject({ status: 'failed', error: expect.stringMatching(/^dark launch in production failed: responses differ in 15/) });
    expect(rollout.steps.map((s) => s.status)).toEqual(['failed', 'pending']);
    expect(world.rollouts.locks.size).toBe(0);
    expect(world.mirror.routes.get('quotes')).toMatchObject({ sample: 0 });
    expect(world.audit.map((e) => e.action)).toEqual(['rollout.dark-launch.started', 'rollout.dark-launch.verdict', 'rollout.failed']);
  });

  it('waits for a person when too few comparisons arrive before the deadline', async () => {
    const world = setUp({ timeout: '1ms' });
    world.mirror.reportWith({ compared: 3, mismatched: 0 });
    await expect(world.step.run(await world.at())).resolves.toBe('stop');
    const rollout = await world.stored();
    expect(rollout).toMatchObject({ status: 'waiting', gate: { step: 'dark-launch', environment: 'production' } });
    expect(rollout.steps[0]).toMatchObject({ status: 'waiting', message: expect.stringMatching(/^insufficient-data: only 3 of the 100 comparisons/) });
    expect(world.audit.map((e) => e.action)).toEqual(['rollout.dark-launch.started', 'rollout.dark-launch.verdict', 'rollout.gate.waiting']);
    expect(world.notifications.map((n) => n.event)).toEqual(['rollout.dark-launch.verdict', 'gate.waiting']);
  });

  it('skips the stage on a first deploy and fails it when nothing can be mirrored', async () => {
    const first = setUp({ live: false });
    await expect(first.step.run(await first.at())).resolves.toBe('continue');
    expect((await first.stored()).steps[0]).toMatchObject({
      status: 'skipped',
      message: expect.stringMatching(/^no live Deployment quotes in quotes-prod yet/),
    });

    const noService = setUp({ services: [] });
    await expect(noService.step.run(await noService.at())).resolves.toBe('stop');
    expect(await noService.stored()).toMatchObject({
      status: 'failed',
      error: expect.stringMatching(/no Service of production selects Deployment quotes's pods/),
    });

    const noMirror = setUp({ withMirror: false });
    await expect(noMirror.step.run(await noMirror.at())).resolves.toBe('stop');
    expect((await noMirror.stored()).error).toMatch(/this server has no mirror/);
  });

  it('fails the stage when the mirror refuses the route, removing the shadow; retries (throws) on a fault', async () => {
    const refused = setUp();
    refused.mirror.refuseWith(
      new ValidationFailedError([{ path: 'candidate', problem: 'is not allowed by the egress policy' }], 'candidate: is not allowed by the egress policy'),
    );
    await expect(refused.step.run(await refused.at())).resolves.toBe('stop');
    expect((await refused.stored()).error).toBe(
      'dark launch in production failed: mirror route quotes could not be set up: candidate: is not allowed by the egress policy',
    );
    expect(refused.cluster.deleted).toContain('Deployment quotes-prod/quotes-shadow');

    const faulty = setUp();
    faulty.mirror.refuseWith(new Error('connection reset'));
    await expect(faulty.step.run(await faulty.at())).rejects.toThrow('connection reset');
  });

  it('on abort deletes the shadow and puts sampling back to 0', async () => {
    const world = setUp();
    const shadow = { ...quotes, metadata: { ...quotes.metadata, name: 'quotes-shadow' } };
    world.cluster.put(shadow);
    await world.mirror.ensureRoute({ route: 'quotes', primary: 'http://quotes.quotes-prod.svc:8080', minCompared: 100, maxMismatchPercent: 1 }, {} as never);
    const window = await world.mirror.openWindow('quotes');
    await world.mirror.setSampling('quotes', 10, {} as never);
    const context = await world.at();
    const step = { ...context.step, status: 'running' as const, detail: { route: 'quotes', window } };
    await expect(world.step.abort({ ...context, step })).resolves.toEqual({ notes: ['shadow quotes-shadow deleted', 'sampling on route quotes back to 0'] });
    expect(world.mirror.routes.get('quotes')).toMatchObject({ sample: 0, window: null });
  });
});
