import type { KubeObject } from '../../kubernetes/kube-resources';
import { RELEASE_ANNOTATION, type EnvironmentPlan } from '../../kubernetes/manifest-set';
import type { Rollout } from '../rollout.entity';
import { FakeRolloutCluster } from '../testing/fake-rollout-cluster';
import { InMemoryMirrorControl } from '../testing/in-memory-mirror-control';
import { inMemoryInterrupts, inMemoryRecorder, rolloutFixture } from '../testing/in-memory-rollouts.repository';
import { DarkLaunchStep, type DarkLaunchDetail } from './dark-launch.step';
import { ReplayRefusal, type CaptureReplayInput, type CaptureReplaySummary } from './mirror-control';

// `darkLaunch.replay` over the in-memory recorder, a scripted cluster and an in-memory mirror whose
// replay the test scripts; the server's replay of real captures runs in test/e2e/deploy.
const quotes: KubeObject = {
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'quotes', namespace: 'quotes-staging', annotations: { [RELEASE_ANNOTATION]: 'rel-1' } },
  spec: {
    replicas: 2,
    selector: { matchLabels: { app: 'quotes' } },
    template: { metadata: { labels: { app: 'quotes' } }, spec: { containers: [{ name: 'quotes', image: 'registry.test/quotes:1.2.0' }] } },
  },
};
const quotesService: KubeObject = {
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name: 'quotes', namespace: 'quotes-staging' },
  spec: { selector: { app: 'quotes' }, ports: [{ port: 8080 }] },
};

/** The in-memory mirror, able to replay: `inspectWith`/`replayWith` script what the server would answer. */
class ReplayingMirror extends InMemoryMirrorControl {
  readonly replays: CaptureReplayInput[] = [];
  inspection: { exchanges: number; capturedSpanMs: number } | Error = { exchanges: 40, capturedSpanMs: 4000 };
  /** Runs when the step starts a replay; its totals are what the window then reports. */
  onReplay: (input: CaptureReplayInput, signal: AbortSignal) => Promise<CaptureReplaySummary> = async () => {
    this.reportWith({ compared: 40, mismatched: 0 });
    return { exchanges: 40, sent: 40, stopped: false, durationMs: 120 };
  };

  async inspectCapture(): Promise<{ exchanges: number; capturedSpanMs: number }> {
    if (this.inspection instanceof Error) throw this.inspection;
    return this.inspection;
  }

  replay(input: CaptureReplayInput, signal: AbortSignal): Promise<CaptureReplaySummary> {
    this.replays.push(input);
    return this.onReplay(input, signal);
  }
}

function setUp(options: { mirror?: InMemoryMirrorControl; timeout?: string } = {}) {
  const world = inMemoryRecorder();
  const cluster = new FakeRolloutCluster();
  const mirror = options.mirror ?? new ReplayingMirror();
  const { interrupts, signals } = inMemoryInterrupts();
  const step = new DarkLaunchStep(world.recorder, cluster.asCluster, interrupts, mirror);
  const environment: EnvironmentPlan = {
    name: 'staging',
    namespace: 'quotes-staging',
    primary: 'quotes',
    darkLaunch: {
      route: 'quotes',
      sample: 10,
      minCompared: 20,
      maxMismatch: 1,
      timeout: options.timeout ?? '10m',
      replay: { capture: 'staging/quotes', speed: 5 },
    },
    objects: [quotesService, quotes],
  } as EnvironmentPlan;
  const rollout: Rollout = {
    ...rolloutFixture([
      { kind: 'dark-launch', environment: 'staging' },
      { kind: 'deploy', environment: 'staging' },
    ]),
    service: 'quotes',
    plan: { environments: [environment] },
  };
  world.rollouts.add(rollout);
  cluster.put({ ...quotes });
  const signal = new AbortController().signal;
  const at = async () => {
    const current = (await world.rollouts.find({} as never, 'r-1'))!;
    return { rollout: current, index: 0, step: current.steps[0], signal };
  };
  const stored = async () => (await world.rollouts.find({} as never, 'r-1'))!;
  return { ...world, cluster, mirror, step, at, stored, signals };
}

describe('DarkLaunchStep with replay:', () => {
  it('replays the capture to the shadow with the stable Service as the live primary, leaves sampling alone, and decides on the window', async () => {
    const world = setUp();
    const mirror = world.mirror as ReplayingMirror;
    await expect(world.step.run(await world.at())).resolves.toBe('continue');

    expect(world.cluster.waitedFor).toEqual(['quotes-shadow']);
    expect(mirror.replays).toEqual([
      {
        route: 'quotes',
        window: 'w1',
        capture: 'staging/quotes',
        capturedRoute: 'quotes',
        speed: 5,
        candidate: 'http://quotes-shadow.quotes-staging.svc:8080',
        primary: 'http://quotes.quotes-staging.svc:8080',
      },
    ]);
    // No user is mirrored: the route's sampling is never raised.
    expect(mirror.changes.map((c) => c.change)).toEqual(['ensureRoute', 'candidate http://quotes-shadow.quotes-staging.svc:8080', 'reset']);
    const rollout = await world.stored();
    expect(rollout.currentStep).toBe(1);
    const detail = rollout.steps[0].detail as DarkLaunchDetail;
    expect(detail).toMatchObject({
      sample: 100,
      replay: { capture: 'staging/quotes', route: 'quotes', speed: 5, exchanges: 40, sent: 40, durationMs: 120 },
      verdict: { outcome: 'pass', compared: 40, reportUrl: '/dark-launch?route=quotes' },
    });
    expect(world.audit.find((e) => e.action === 'rollout.dark-launch.started')?.after).toMatchObject({ replay: { capture: 'staging/quotes', speed: 5 } });
    expect(world.cluster.deleted.sort()).toEqual(['Deployment quotes-staging/quotes-shadow', 'Service quotes-staging/quotes-shadow']);
  });

  it('fails before deploying anything when the capture cannot be replayed', async () => {
    const mirror = new ReplayingMirror();
    mirror.inspection = new ReplayRefusal('capture staging/quotes does not exist under CAPTURE_ROOT');
    const world = setUp({ mirror });
    await expect(world.step.run(await world.at())).resolves.toBe('stop');
    expect(world.cluster.waitedFor).toEqual([]);
    expect(mirror.replays).toEqual([]);
    const rollout = await world.stored();
    expect(rollout).toMatchObject({ status: 'failed', error: 'dark launch in staging failed: capture staging/quotes does not exist under CAPTURE_ROOT' });
    expect(rollout.steps[0]).toMatchObject({ status: 'failed', message: 'capture staging/quotes does not exist under CAPTURE_ROOT' });
  });

  it('fails on a server that cannot replay', async () => {
    const world = setUp({ mirror: new InMemoryMirrorControl() });
    await expect(world.step.run(await world.at())).resolves.toBe('stop');
    expect((await world.stored()).steps[0]).toMatchObject({
      status: 'failed',
      message: 'this server cannot replay captures, so darkLaunch.replay cannot run here',
    });
  });

  it('fails with the reason when the replay itself is refused (a target that is down), removing the shadow', async () => {
    const mirror = new ReplayingMirror();
    mirror.onReplay = () =>
      Promise.reject(new ReplayRefusal('http://quotes-shadow.quotes-staging.svc:8080 is not answering (ECONNREFUSED); is the replay target up?'));
    const world = setUp({ mirror });
    await expect(world.step.run(await world.at())).resolves.toBe('stop');
    expect((await world.stored()).steps[0]).toMatchObject({
      status: 'failed',
      message: 'replaying staging/quotes failed: http://quotes-shadow.quotes-staging.svc:8080 is not answering (ECONNREFUSED); is the replay target up?',
    });
    expect(world.cluster.deleted.sort()).toEqual(['Deployment quotes-staging/quotes-shadow', 'Service quotes-staging/quotes-shadow']);
    expect(mirror.changes.at(-1)?.change).toBe('reset');
  });

  it('ends the replay at the deadline and says what was cut short', async () => {
    const mirror = new ReplayingMirror();
    mirror.onReplay = (_input, signal) =>
      new Promise((resolve) => {
        // One comparison arrived before the deadline.
        mirror.reportWith({ compared: 1, mismatched: 0 });
        signal.addEventListener('abort', () => resolve({ exchanges: 40, sent: 1, stopped: true, durationMs: 50 }), { once: true });
      });
    const world = setUp({ mirror, timeout: '50ms' });
    await expect(world.step.run(await world.at())).resolves.toBe('stop');
    const detail = (await world.stored()).steps[0].detail as DarkLaunchDetail;
    expect(detail.replay).toMatchObject({ exchanges: 40, sent: 1 });
    expect(detail.verdict).toMatchObject({
      outcome: 'insufficient-data',
      reason:
        'only 1 of the 20 comparisons needed came from replaying staging/quotes on route quotes (the timeout 50ms ended it after 1 of 40 captured exchanges); record a longer capture, raise replay.speed or timeout, then approve to continue or abort',
    });
  });

  it('stops the replay when the rollout is aborted (or superseded)', async () => {
    const mirror = new ReplayingMirror();
    let stopped = false;
    let started!: () => void;
    const replaying = new Promise<void>((resolve) => (started = resolve));
    mirror.onReplay = (_input, signal) =>
      new Promise((resolve) => {
        started();
        signal.addEventListener(
          'abort',
          () => {
            stopped = true;
            resolve({ exchanges: 40, sent: 3, stopped: true, durationMs: 10 });
          },
          { once: true },
        );
      });
    const world = setUp({ mirror });
    const running = world.step.run(await world.at());
    await replaying;
    world.signals.emit({ kind: 'abort', rolloutId: 'r-1' });
    await expect(running).resolves.toBe('continue');
    expect(stopped).toBe(true);
    expect((await world.stored()).steps[0].detail).not.toHaveProperty('verdict');
  });

  it('after a restart replays again into a fresh window, so nothing is counted twice', async () => {
    const world = setUp();
    const mirror = world.mirror as ReplayingMirror;
    await mirror.ensureRoute(
      { route: 'quotes', primary: 'http://quotes.quotes-staging.svc:8080', minCompared: 20, maxMismatchPercent: 1 },
      {
        actor: 'system:rollout',
        service: 'quotes',
        environment: 'staging',
        comment: 'earlier attempt',
      },
    );
    const earlier = await mirror.openWindow('quotes');
    const rollout = await world.stored();
    rollout.steps[0] = {
      ...rollout.steps[0],
      status: 'running',
      startedAt: new Date().toISOString(),
      detail: {
        route: 'quotes',
        shadow: { deployment: 'quotes-shadow', namespace: 'quotes-staging', url: 'http://quotes-shadow.quotes-staging.svc:8080' },
        sample: 100,
        minCompared: 20,
        maxMismatch: 1,
        deadline: new Date(Date.now() + 600_000).toISOString(),
        window: earlier,
        progress: { compared: 7, mismatched: 0 },
        replay: { capture: 'staging/quotes', route: 'quotes', speed: 5, exchanges: 40 },
      } satisfies DarkLaunchDetail,
    } as never;
    // What a replica that died mid-replay left behind: its window, with the comparisons it had added.
    world.rollouts.add(rollout);
    await expect(world.step.run(await world.at())).resolves.toBe('continue');
    expect(mirror.replays.map((r) => r.window)).toEqual(['w2']);
    expect(((await world.stored()).steps[0].detail as DarkLaunchDetail).verdict).toMatchObject({ outcome: 'pass', compared: 40 });
  });
});
