import type { KubeClient } from '../../kubernetes/kube-client';
import type { EnvironmentPlan } from '../../kubernetes/manifest-set';
import type { RolloutCluster } from '../rollout-cluster';
import type { RolloutPlanner } from '../rollout-planner';
import { inMemoryRecorder, rolloutFixture } from '../testing/in-memory-rollouts.repository';
import { GateStep } from './gate.step';

// The approval gate over the in-memory recorder; the cluster is not touched beyond the dry run,
// which these tests answer (or fail) themselves.
function setUp(preview: (environment: EnvironmentPlan) => Promise<unknown>) {
  const world = inMemoryRecorder();
  const cluster = { kubernetes: () => ({}) as KubeClient } as RolloutCluster;
  const planner = { preview: (_client: KubeClient, environment: EnvironmentPlan) => preview(environment) } as unknown as RolloutPlanner;
  const rollout = rolloutFixture(
    [
      { kind: 'deploy', environment: 'staging', status: 'succeeded' },
      { kind: 'gate', environment: 'production' },
      { kind: 'deploy', environment: 'production' },
    ],
    { currentStep: 1 },
  );
  world.rollouts.add(rollout);
  return {
    ...world,
    step: new GateStep(world.recorder, cluster, planner),
    context: { rollout, index: 1, step: rollout.steps[1], signal: new AbortController().signal },
  };
}

describe('GateStep', () => {
  it('waits for approval with the plan of the next deploy, audits and notifies', async () => {
    const { step, context, rollouts, audit, notifications } = setUp(async (environment) => ({
      namespace: environment.namespace,
      objects: [{ kind: 'Deployment', change: 'update' }],
    }));
    await expect(step.run(context)).resolves.toBe('stop');

    const stored = await rollouts.find({} as never, 'r-1');
    expect(stored?.status).toBe('waiting');
    expect(stored?.currentStep).toBe(1);
    expect(stored?.steps[1]).toMatchObject({
      status: 'waiting',
      startedAt: expect.any(String),
      message: 'waiting for approval to deploy 1.2.0 to production',
      detail: { plan: { namespace: 'shop-production', objects: [{ kind: 'Deployment', change: 'update' }] } },
    });
    expect(stored?.gate).toMatchObject({ environment: 'production', step: 'gate', kind: 'approval' });
    expect(audit).toEqual([
      expect.objectContaining({
        action: 'rollout.gate.waiting',
        environment: 'production',
        meta: expect.objectContaining({ kind: 'approval', rolloutId: 'r-1' }),
      }),
    ]);
    expect(notifications).toEqual([
      expect.objectContaining({ event: 'gate.waiting', environment: 'production', text: 'shop 1.2.0 is waiting for approval to deploy to production' }),
    ]);
  });

  it('still waits when the dry run fails, and says why there is no plan', async () => {
    const { step, context, rollouts } = setUp(() => Promise.reject(new Error('namespaces "shop-production" is forbidden')));
    await expect(step.run(context)).resolves.toBe('stop');
    const stored = await rollouts.find({} as never, 'r-1');
    expect(stored?.status).toBe('waiting');
    expect(stored?.steps[1].detail).toEqual({ plan: null, planError: 'namespaces "shop-production" is forbidden' });
  });

  it('records nothing for a rollout that ended meanwhile', async () => {
    const { step, context, rollouts, audit, notifications } = setUp(async () => ({ objects: [] }));
    await rollouts.update({} as never, 'r-1', { status: 'aborted' });
    await expect(step.run(context)).rejects.toThrow('rollout r-1 is aborted');
    expect((await rollouts.find({} as never, 'r-1'))?.steps[1].status).toBe('pending');
    expect(audit).toEqual([]);
    expect(notifications).toEqual([]);
  });
});
