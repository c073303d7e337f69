import type { RestoreResult, RolloutCluster } from '../rollout-cluster';
import type { EnvironmentDeployment, Rollout } from '../rollout.entity';
import { inMemoryRecorder, rolloutFixture } from '../testing/in-memory-rollouts.repository';
import { RollbackStep } from './rollback.step';

// The rollback step's verdict paths over the in-memory recorder: what the cluster answers to the
// restore is scripted here (the restore itself runs against the Kubernetes simulator in test/e2e/rollout).
const previous: Omit<EnvironmentDeployment, 'id' | 'deployedAt'> = {
  service: 'shop',
  environment: 'production',
  namespace: 'shop-production',
  kind: 'release',
  releaseId: 'rel-0',
  rolloutId: 'r-0',
  version: '1.1.0',
  image: 'registry.test/shop:1.1.0',
  imageDigest: 'sha256:old',
  workloads: [],
  deployedBy: 'user:ada@example.com',
  reason: null,
};

async function setUp(result: RestoreResult, rollout: Rollout, history = [previous]) {
  const world = inMemoryRecorder();
  world.rollouts.add(rollout);
  for (const entry of history) await world.rollouts.recordDeployment({} as never, entry);
  const restores: Array<{ environment: string; namespace: string; target: EnvironmentDeployment | undefined; abortable: boolean }> = [];
  const cluster = {
    restore: async (_r: Rollout, environment: string, namespace: string, target: EnvironmentDeployment | undefined, _s: AbortSignal, abortable: boolean) => {
      restores.push({ environment, namespace, target, abortable });
      return result;
    },
  } as unknown as RolloutCluster;
  const index = rollout.steps.length - 1;
  const context = { rollout, index, step: rollout.steps[index], signal: new AbortController().signal };
  return { ...world, restores, step: new RollbackStep(world.recorder, cluster), context };
}

const automatic = () =>
  rolloutFixture(
    [
      { kind: 'deploy', environment: 'production', status: 'failed' },
      { kind: 'rollback', environment: 'production', detail: { cause: 'deploy to production failed: pods crash-looping' } },
    ],
    { currentStep: 1 },
  );

describe('RollbackStep', () => {
  it('restores the last good release after a failed deploy: step succeeded, rollout failed, history and lock updated', async () => {
    const { step, context, rollouts, restores, audit, notifications, metrics } = await setUp(
      { outcome: 'restored', message: 'production is back on 1.1.0' },
      automatic(),
    );
    await expect(step.run(context)).resolves.toBe('stop');

    expect(restores).toEqual([
      { environment: 'production', namespace: 'shop-production', target: expect.objectContaining({ version: '1.1.0' }), abortable: true },
    ]);
    const stored = await rollouts.find({} as never, 'r-1');
    expect(stored).toMatchObject({ status: 'failed', error: 'deploy to production failed: pods crash-looping', finishedAt: expect.any(String) });
    expect(stored?.steps[1]).toMatchObject({ status: 'succeeded', message: 'production is back on 1.1.0', finishedAt: expect.any(String) });
    expect((await rollouts.history({} as never, 'shop', 'production', 1))[0]).toMatchObject({
      kind: 'rollback',
      version: '1.1.0',
      rolloutId: 'r-1',
      deployedBy: 'system:rollout',
    });
    expect(rollouts.locks.size).toBe(0);
    expect(audit.map((e) => e.action)).toEqual(['environment.rolled-back', 'rollout.rolled-back', 'rollout.failed']);
    expect(audit[0]).toMatchObject({
      before: { image: 'registry.test/shop:1.2.0' },
      after: { image: 'registry.test/shop:1.1.0', version: '1.1.0' },
      meta: expect.objectContaining({ trigger: 'automatic' }),
    });
    expect(notifications.map((n) => n.event)).toEqual(['rollout.failed', 'rollout.rolled-back']);
    expect(metrics).toEqual(
      expect.arrayContaining([
        ['rolledBack', 'shop', 'production', 'automatic'],
        ['rolloutFinished', 'shop', 'release', 'failed'],
      ]),
    );
  });

  it('a manual rollback that restores succeeds the rollout, by the person who asked', async () => {
    const manual = rolloutFixture([{ kind: 'rollback', environment: 'production' }], {
      kind: 'rollback',
      reason: 'checkout errors',
      createdBy: 'user:bo@example.com',
    });
    const { step, context, rollouts, audit, restores } = await setUp({ outcome: 'restored', message: 'restored 1.1.0' }, manual);
    await expect(step.run(context)).resolves.toBe('stop');
    expect(restores[0].abortable).toBe(false);
    expect(await rollouts.find({} as never, 'r-1')).toMatchObject({ status: 'succeeded', error: null });
    expect(audit.map((e) => [e.action, e.actor])).toEqual([
      ['environment.rolled-back', 'user:bo@example.com'],
      ['rollout.rolled-back', 'user:bo@example.com'],
      ['rollout.succeeded', 'user:bo@example.com'],
    ]);
  });

  it('with nothing to restore the step is skipped and the rollout fails with the deploy cause', async () => {
    const { step, context, rollouts, audit } = await setUp({ outcome: 'nothing', message: 'nothing to roll back to' }, automatic(), []);
    await expect(step.run(context)).resolves.toBe('stop');
    const stored = await rollouts.find({} as never, 'r-1');
    expect(stored).toMatchObject({ status: 'failed', error: 'deploy to production failed: pods crash-looping' });
    expect(stored?.steps[1].status).toBe('skipped');
    expect(await rollouts.history({} as never, 'shop', 'production')).toEqual([]);
    expect(audit.map((e) => e.action)).toEqual(['rollout.failed']);
  });

  it('a failed manual rollback fails the rollout with the cluster message and says so', async () => {
    const manual = rolloutFixture([{ kind: 'rollback', environment: 'production' }], { kind: 'rollback' });
    const { step, context, rollouts, notifications } = await setUp({ outcome: 'failed', message: 'Secret shop-db values are gone' }, manual);
    await expect(step.run(context)).resolves.toBe('stop');
    const stored = await rollouts.find({} as never, 'r-1');
    expect(stored).toMatchObject({ status: 'failed', error: 'Secret shop-db values are gone' });
    expect(stored?.steps[0].status).toBe('failed');
    expect(notifications).toEqual([
      expect.objectContaining({ event: 'rollout.failed', text: 'rolling shop back in production failed: Secret shop-db values are gone' }),
    ]);
  });

  it('stops on shutdown and goes on (to the abort) when an abort interrupts, leaving the step running', async () => {
    const shutdown = await setUp({ outcome: 'interrupted', interruption: 'shutdown' }, automatic());
    await expect(shutdown.step.run(shutdown.context)).resolves.toBe('stop');
    expect((await shutdown.rollouts.find({} as never, 'r-1'))?.steps[1].status).toBe('running');

    const aborted = await setUp({ outcome: 'interrupted', interruption: 'abort' }, automatic());
    await expect(aborted.step.run(aborted.context)).resolves.toBe('continue');
    expect((await aborted.rollouts.find({} as never, 'r-1'))?.status).toBe('running');
  });

  it('on abort finishes restoring a running rollback, and does nothing for one that never started', async () => {
    const running = automatic();
    running.steps[1].status = 'running';
    const { step, restores } = await setUp({ outcome: 'restored', message: 'restored 1.1.0' }, running);
    await expect(step.abort({ rollout: running, index: 1, step: running.steps[1], signal: new AbortController().signal })).resolves.toEqual({
      notes: ['restored 1.1.0'],
      restored: 'restored 1.1.0',
    });
    expect(restores).toEqual([expect.objectContaining({ target: expect.objectContaining({ version: '1.1.0' }), abortable: false })]);

    const pending = automatic();
    await expect(step.abort({ rollout: pending, index: 1, step: pending.steps[1], signal: new AbortController().signal })).resolves.toEqual({ notes: [] });
  });
});
