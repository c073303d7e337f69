import { currentReplicaSet, deploymentRolloutState, failingPods } from './deployment-status';
import type { KubeObject } from './kube-resources';

const deployment = (generation: number, status: Record<string, unknown>, replicas = 3): KubeObject => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'api', uid: 'd1', generation, annotations: { 'deployment.kubernetes.io/revision': '2' } },
  spec: { replicas },
  status,
});

describe('deploymentRolloutState (kubectl rollout status)', () => {
  it.each([
    [deployment(2, { observedGeneration: 1 }), 'progressing', 'Waiting for deployment spec update to be observed...'],
    [
      deployment(2, { observedGeneration: 2, replicas: 4, updatedReplicas: 1 }),
      'progressing',
      'Waiting for deployment "api" rollout to finish: 1 out of 3 new replicas have been updated...',
    ],
    [
      deployment(2, { observedGeneration: 2, replicas: 4, updatedReplicas: 3 }),
      'progressing',
      'Waiting for deployment "api" rollout to finish: 1 old replicas are pending termination...',
    ],
    [
      deployment(2, { observedGeneration: 2, replicas: 3, updatedReplicas: 3, availableReplicas: 2 }),
      'progressing',
      'Waiting for deployment "api" rollout to finish: 2 of 3 updated replicas are available...',
    ],
    [deployment(2, { observedGeneration: 2, replicas: 3, updatedReplicas: 3, availableReplicas: 3 }), 'complete', 'deployment "api" successfully rolled out'],
    [
      deployment(2, {
        observedGeneration: 2,
        replicas: 4,
        updatedReplicas: 1,
        conditions: [{ type: 'Progressing', status: 'False', reason: 'ProgressDeadlineExceeded' }],
      }),
      'failed',
      'deployment "api" exceeded its progress deadline',
    ],
  ])('%#: %s', (object, phase, message) => {
    expect(deploymentRolloutState(object)).toMatchObject({ phase, message });
  });
});

describe('failingPods', () => {
  it('finds containers of the current ReplicaSet stuck in CrashLoopBackOff or image pull errors, ignoring old pods', () => {
    const rs = (name: string, uid: string, revision: string): KubeObject => ({
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: {
        name,
        uid,
        annotations: { 'deployment.kubernetes.io/revision': revision },
        ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'api', uid: 'd1', controller: true }],
      },
    });
    const pod = (name: string, owner: string, reason?: string): KubeObject => ({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name, ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'x', uid: owner, controller: true }] },
      status: { containerStatuses: [{ name: 'api', state: reason ? { waiting: { reason, message: 'back-off' } } : { running: {} } }] },
    });
    const current = currentReplicaSet(deployment(2, {}), [rs('api-old', 'r1', '1'), rs('api-new', 'r2', '2')]);
    expect(current?.metadata.name).toBe('api-new');
    const pods = [pod('old-1', 'r1', 'CrashLoopBackOff'), pod('new-1', 'r2'), pod('new-2', 'r2', 'ImagePullBackOff'), pod('new-3', 'r2', 'ContainerCreating')];
    expect(failingPods(pods, current!)).toEqual([{ pod: 'new-2', container: 'api', reason: 'ImagePullBackOff', message: 'back-off' }]);
  });
});
