import { Injectable } from '@nestjs/common';
import { ClusterAccess } from '../kubernetes/cluster-access';
import { KubeApiError, type KubeClient } from '../kubernetes/kube-client';
import { DEPLOYMENT, describeRef, NAMESPACE, refOf, type KubeObject } from '../kubernetes/kube-resources';
import { diffObjects } from '../kubernetes/object-diff';
import { canaryOf, type EnvironmentPlan } from '../kubernetes/manifest-set';
import type { EnvironmentPreview, ObjectPlan } from './rollout.contract';

export type { EnvironmentPreview, ObjectPlan } from './rollout.contract';

/**
 * The dry run behind `POST /releases/{id}/plan` and what an approver is shown at a gate: every
 * object is server-side applied with dryRun=All (so defaults, admission and immutable fields are
 * the cluster's own), and the result is compared with the live object.
 */
@Injectable()
export class RolloutPlanner {
  constructor(private readonly cluster: ClusterAccess) {}

  async preview(client: KubeClient, environment: EnvironmentPlan): Promise<EnvironmentPreview> {
    const namespaceExists = await client.get({ ...NAMESPACE, name: environment.namespace }).then(
      (found) => found !== undefined,
      // Not allowed to read namespaces: assume it is there (an administrator's job) and let the dry runs say more.
      (error: unknown) => {
        if (error instanceof KubeApiError && error.status === 403) return true;
        throw error;
      },
    );
    const objects: ObjectPlan[] = [];
    for (const object of environment.objects) objects.push(await this.previewObject(client, object, namespaceExists));
    let canary: EnvironmentPreview['canary'] = null;
    if (environment.canary && environment.primary) {
      const primary = environment.objects.find((o) => o.kind === 'Deployment' && o.metadata.name === environment.primary) as KubeObject;
      const stable = namespaceExists ? await client.get({ ...DEPLOYMENT, namespace: environment.namespace, name: primary.metadata.name }) : undefined;
      canary = {
        deployment: `${primary.metadata.name}-canary`,
        replicas: environment.canary.replicas,
        analysis: environment.canary.analysis,
        ...(stable
          ? {}
          : { skipped: `no stable Deployment ${primary.metadata.name} yet: the first deploy goes straight to ${environment.name}, without a canary` }),
        ...(this.cluster.hasPrometheus
          ? {}
          : { warning: 'PROMETHEUS_URL is not set: every iteration will be inconclusive, and the canary will wait for a person to approve or abort' }),
      };
      if (stable) objects.push(await this.previewObject(client, canaryOf(primary, environment.canary.replicas), namespaceExists));
    }
    return { environment: environment.name, namespace: environment.namespace, namespaceExists, approval: environment.approval, canary, objects };
  }

  private async previewObject(client: KubeClient, object: KubeObject, namespaceExists: boolean): Promise<ObjectPlan> {
    const base = { kind: object.kind, name: object.metadata.name, namespace: object.metadata.namespace ?? null };
    if (!namespaceExists) return { ...base, action: 'create', changes: diffObjects(undefined, object) };
    const live = await client.get(refOf(object));
    try {
      const next = await client.apply(object, { dryRun: true });
      const changes = diffObjects(live, next);
      return { ...base, action: live ? (changes.length ? 'update' : 'unchanged') : 'create', changes };
    } catch (error) {
      if (error instanceof KubeApiError && error.status !== 0) {
        return { ...base, action: live ? 'update' : 'create', changes: diffObjects(live, object), error: `${describeRef(refOf(object))}: ${error.message}` };
      }
      throw error;
    }
  }
}
