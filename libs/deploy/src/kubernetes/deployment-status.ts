import type { KubeObject } from './kube-resources';

export const REVISION_ANNOTATION = 'deployment.kubernetes.io/revision';

export type RolloutState =
  { phase: 'progressing'; message: string } | { phase: 'complete'; message: string } | { phase: 'failed'; reason: 'ProgressDeadlineExceeded'; message: string };

interface DeploymentStatus {
  observedGeneration?: number;
  replicas?: number;
  updatedReplicas?: number;
  availableReplicas?: number;
  conditions?: Array<{ type: string; status: string; reason?: string; message?: string }>;
}

/**
 * kubectl's `rollout status` rules for a Deployment (polymorphichelpers/rollout_status.go), with
 * its messages: the spec must be observed, every replica updated, old ones gone, new ones available;
 * a Progressing condition with reason ProgressDeadlineExceeded fails it.
 */
export function deploymentRolloutState(deployment: KubeObject): RolloutState {
  const name = deployment.metadata.name;
  const status = (deployment.status ?? {}) as DeploymentStatus;
  const generation = deployment.metadata.generation ?? 0;
  if (generation > (status.observedGeneration ?? 0)) return { phase: 'progressing', message: 'Waiting for deployment spec update to be observed...' };
  const progressing = status.conditions?.find((c) => c.type === 'Progressing');
  if (progressing?.reason === 'ProgressDeadlineExceeded')
    return { phase: 'failed', reason: 'ProgressDeadlineExceeded', message: `deployment "${name}" exceeded its progress deadline` };
  const desired = typeof deployment.spec?.replicas === 'number' ? deployment.spec.replicas : 1;
  const updated = status.updatedReplicas ?? 0;
  const replicas = status.replicas ?? 0;
  const available = status.availableReplicas ?? 0;
  if (updated < desired)
    return {
      phase: 'progressing',
      message: `Waiting for deployment "${name}" rollout to finish: ${updated} out of ${desired} new replicas have been updated...`,
    };
  if (replicas > updated)
    return {
      phase: 'progressing',
      message: `Waiting for deployment "${name}" rollout to finish: ${replicas - updated} old replicas are pending termination...`,
    };
  if (available < updated)
    return {
      phase: 'progressing',
      message: `Waiting for deployment "${name}" rollout to finish: ${available} of ${updated} updated replicas are available...`,
    };
  return { phase: 'complete', message: `deployment "${name}" successfully rolled out` };
}

/** The ReplicaSet of the Deployment's current template: owned by it, at its revision (what `kubectl rollout` calls the new one). */
export function currentReplicaSet(deployment: KubeObject, replicaSets: KubeObject[]): KubeObject | undefined {
  const revision = deployment.metadata.annotations?.[REVISION_ANNOTATION];
  if (!revision) return undefined;
  return replicaSets.find(
    (rs) =>
      rs.metadata.ownerReferences?.some((ref) => ref.uid === deployment.metadata.uid && ref.controller) &&
      rs.metadata.annotations?.[REVISION_ANNOTATION] === revision,
  );
}

/** Container states that will not fix themselves: waiting them out only delays the verdict. */
export const FAILING_REASONS = ['CrashLoopBackOff', 'ImagePullBackOff', 'ErrImagePull', 'InvalidImageName', 'CreateContainerConfigError'] as const;

export interface FailingPod {
  pod: string;
  container: string;
  reason: string;
  message: string;
}

/** Pods of `replicaSet` whose containers are stuck in a failing state. */
export function failingPods(pods: KubeObject[], replicaSet: KubeObject): FailingPod[] {
  const failing: FailingPod[] = [];
  for (const pod of pods) {
    if (!pod.metadata.ownerReferences?.some((ref) => ref.uid === replicaSet.metadata.uid)) continue;
    const status = (pod.status ?? {}) as { containerStatuses?: ContainerStatus[]; initContainerStatuses?: ContainerStatus[] };
    for (const container of [...(status.initContainerStatuses ?? []), ...(status.containerStatuses ?? [])]) {
      const waiting = container.state?.waiting;
      if (waiting?.reason && (FAILING_REASONS as readonly string[]).includes(waiting.reason)) {
        failing.push({ pod: pod.metadata.name, container: container.name, reason: waiting.reason, message: waiting.message ?? '' });
      }
    }
  }
  return failing;
}

interface ContainerStatus {
  name: string;
  state?: { waiting?: { reason?: string; message?: string } };
}
