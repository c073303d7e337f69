import { Injectable } from '@nestjs/common';
import { parseDurationMs } from '@switchyard/config';
import { ClusterAccess } from '../kubernetes/cluster-access';
import { KubeApiError, type KubeClient } from '../kubernetes/kube-client';
import { DEPLOYMENT, NAMESPACE, REPLICA_SET, type KubeObject } from '../kubernetes/kube-resources';
import { REVISION_ANNOTATION } from '../kubernetes/deployment-status';
import { waitForRollout, type WaitOutcome } from '../kubernetes/rollout-waiter';
import { RELEASE_ANNOTATION, VERSION_ANNOTATION, type EnvironmentPlan } from '../kubernetes/manifest-set';
import type { SecretReference } from './recorded-object';
import { isSecretReference, objectKey } from './release-objects';
import type { EnvironmentDeployment, Rollout } from './rollout.entity';
import { RolloutInterrupts, type Interruption } from './rollout-interrupts';
import { RolloutRecorder } from './rollout-recorder';

export type RestoreResult =
  { outcome: 'restored' | 'nothing' | 'failed'; message: string; detail?: Record<string, unknown> } | { outcome: 'interrupted'; interruption: Interruption };

/**
 * What rollout steps do to the cluster: apply, wait, remove a canary, restore an earlier release.
 * Every operation is idempotent (server-side apply, re-watching waits, uid-guarded deletes), so a
 * step repeated after a restart does no harm.
 */
@Injectable()
export class RolloutCluster {
  constructor(
    private readonly cluster: ClusterAccess,
    private readonly interrupts: RolloutInterrupts,
    private readonly recorder: RolloutRecorder,
  ) {}

  kubernetes(): KubeClient {
    return this.cluster.kubernetes();
  }

  get access(): ClusterAccess {
    return this.cluster;
  }

  primary(environment: EnvironmentPlan): KubeObject {
    const primary = environment.objects.find((o) => o.kind === 'Deployment' && o.metadata.name === environment.primary);
    if (!primary) throw new Error(`environment ${environment.name} has no Deployment for a canary`);
    return primary;
  }

  async ensureNamespace(client: KubeClient, namespace: string): Promise<void> {
    try {
      if (await client.get({ ...NAMESPACE, name: namespace })) return;
    } catch (error) {
      // Without cluster-wide rights (deploy/rbac/namespaces.yaml left out) namespaces are an
      // administrator's job: go ahead, and a missing one fails the apply with the API's own message.
      if (error instanceof KubeApiError && error.status === 403) return;
      throw error;
    }
    try {
      await client.create({ ...NAMESPACE, metadata: { name: namespace, labels: { 'app.kubernetes.io/managed-by': 'switchyard' } } });
    } catch (error) {
      if (!(error instanceof KubeApiError && error.status === 409)) throw error;
    }
  }

  async applyAll(client: KubeClient, objects: KubeObject[]): Promise<KubeObject[]> {
    const applied: KubeObject[] = [];
    for (const object of objects) applied.push(await client.apply(object));
    return applied;
  }

  /** Waits for one Deployment of the environment, writing its progress onto the step (at most once a second). */
  async waitFor(client: KubeClient, rolloutId: string, index: number, environment: EnvironmentPlan, name: string, signal: AbortSignal): Promise<WaitOutcome> {
    const object = environment.objects.find((o) => o.kind === 'Deployment' && o.metadata.name === name) ?? this.primary(environment);
    let lastWrite = 0;
    let writing: Promise<unknown> = Promise.resolve();
    try {
      return await waitForRollout(client, environment.namespace, name, {
        timeoutMs: waitTimeout(environment, object),
        signal,
        onProgress: (message) => {
          // Progress lines are for people watching; one write a second is plenty.
          if (Date.now() - lastWrite < 1000) return;
          lastWrite = Date.now();
          writing = this.recorder.changeStep(rolloutId, index, { message }).catch(() => undefined);
        },
      });
    } finally {
      // A progress line still being written must land before the step's own ending, never after it.
      await writing;
    }
  }

  /** Deletes `<primary>-canary` if this rollout created it; returns its name when it was there. */
  async deleteCanary(client: KubeClient, rollout: Rollout, environment: EnvironmentPlan): Promise<string | undefined> {
    if (!environment.canary || !environment.primary) return undefined;
    const name = `${environment.primary}-canary`;
    const live = await client.get({ ...DEPLOYMENT, namespace: environment.namespace, name });
    if (!live) return undefined;
    // A newer rollout may own the canary by now; never delete another release's canary.
    if (live.metadata.annotations?.[RELEASE_ANNOTATION] !== rollout.releaseId) return undefined;
    try {
      return (await client.delete({ ...DEPLOYMENT, namespace: environment.namespace, name }, { uid: live.metadata.uid, propagationPolicy: 'Background' }))
        ? name
        : undefined;
    } catch (error) {
      if (error instanceof KubeApiError && error.status === 409) return undefined;
      throw error;
    }
  }

  async stableImage(environment: EnvironmentPlan): Promise<string | undefined> {
    try {
      const live = await this.cluster.kubernetes().get({ ...DEPLOYMENT, namespace: environment.namespace, name: this.primary(environment).metadata.name });
      return live ? (firstImage(live) ?? undefined) : undefined;
    } catch {
      return undefined;
    }
  }

  /**
   * Puts the environment back to `target`. Every object the target release applied is applied again
   * as it was (ConfigMaps, Secrets, Services, …: config first, so pods start with their config);
   * each Deployment gets the pod template of the ReplicaSet that ran the target release (found by its
   * images, like kubectl's `rollout undo --to-revision`), falling back to the template recorded with
   * the release when that ReplicaSet has been pruned; objects that newer releases created and the
   * target never had are deleted; then the usual wait. Entries recorded before objects were kept
   * restore their Deployments only.
   */
  async restore(
    rollout: Rollout,
    environment: string,
    namespace: string,
    target: EnvironmentDeployment | undefined,
    signal: AbortSignal,
    abortable: boolean,
  ): Promise<RestoreResult> {
    if (!target) return { outcome: 'nothing', message: `nothing to roll back to: ${environment} has no earlier successful release of ${rollout.service}` };
    const client = this.cluster.kubernetes();
    // Resolve every Secret's values before touching the cluster: a release whose values are gone
    // fails the rollback with nothing half-applied.
    const config: KubeObject[] = [];
    for (const object of target.objects ?? []) {
      if (object.kind === 'Deployment') continue;
      if (!isSecretReference(object)) {
        config.push(object);
        continue;
      }
      const secret = await this.secretValues(object);
      if (!secret)
        return {
          outcome: 'failed',
          message: `rolling back to ${target.version} failed: the values of Secret ${object.metadata.name} are no longer stored (rollout ${object.valuesFrom.rolloutId})`,
        };
      config.push(secret);
    }
    for (const object of config) {
      const desired = structuredClone(object);
      desired.metadata.namespace = namespace;
      desired.metadata.annotations = { ...(desired.metadata.annotations ?? {}), [RELEASE_ANNOTATION]: target.releaseId, [VERSION_ANNOTATION]: target.version };
      await client.apply(desired);
    }
    const sources: Array<{ deployment: string; from: string }> = [];
    let fromImage: string | null = null;
    for (const workload of target.workloads) {
      const live = await client.get({ ...DEPLOYMENT, namespace, name: workload.metadata.name });
      fromImage ??= live ? firstImage(live) : null;
      const desired = structuredClone(workload);
      desired.metadata.annotations = { ...(desired.metadata.annotations ?? {}), [RELEASE_ANNOTATION]: target.releaseId, [VERSION_ANNOTATION]: target.version };
      const replicaSet = live ? await this.replicaSetRunning(client, live, workload) : undefined;
      if (replicaSet) {
        const template = structuredClone(replicaSet.spec?.template as { metadata?: { labels?: Record<string, string> } });
        if (template.metadata?.labels) delete template.metadata.labels['pod-template-hash'];
        desired.spec = { ...(desired.spec ?? {}), template };
        sources.push({
          deployment: workload.metadata.name,
          from: `ReplicaSet ${replicaSet.metadata.name} (revision ${replicaSet.metadata.annotations?.[REVISION_ANNOTATION] ?? '?'})`,
        });
      } else sources.push({ deployment: workload.metadata.name, from: `the template recorded with release ${target.version}` });
      await client.apply(desired);
    }
    const removed = target.objects ? await this.removeNewer(client, rollout, environment, namespace, target) : [];
    const interrupt = this.interrupts.interruptible(rollout.id, signal, !abortable);
    let outcomes: WaitOutcome[];
    try {
      const environmentPlan = rollout.plan.environments.find((e) => e.name === environment);
      outcomes = await Promise.all(
        target.workloads.map((w) =>
          waitForRollout(client, namespace, w.metadata.name, { timeoutMs: waitTimeout(environmentPlan, w), signal: interrupt.signal }),
        ),
      );
    } finally {
      interrupt.dispose();
    }
    const failed = outcomes.find((o): o is Extract<WaitOutcome, { ok: false }> => !o.ok);
    const detail = {
      target: { releaseId: target.releaseId, version: target.version, image: target.image, imageDigest: target.imageDigest },
      sources,
      fromImage,
      // Kind and name only: a Secret's values never reach a step's detail.
      reapplied: config.map((o) => `${o.kind}/${o.metadata.name}`),
      removed,
    };
    if (failed) {
      if (failed.reason === 'Aborted') return { outcome: 'interrupted', interruption: interrupt.reason() ?? 'shutdown' };
      return { outcome: 'failed', message: `rolling back to ${target.version} failed: ${failed.message}`, detail };
    }
    return {
      outcome: 'restored',
      message: `restored ${target.version} (${target.image}) from ${sources.map((s) => s.from).join(', ')}${removed.length ? `; deleted ${removed.join(', ')}` : ''}`,
      detail,
    };
  }

  /** A Secret of an earlier release with its values, from the frozen plan of the rollout that applied it. */
  private async secretValues(reference: SecretReference): Promise<KubeObject | undefined> {
    const source = await this.recorder.db.transaction((manager) => this.recorder.rollouts.find(manager, reference.valuesFrom.rolloutId));
    const secret = source?.plan.environments
      .find((e) => e.name === reference.valuesFrom.environment)
      ?.objects.find((o) => o.kind === 'Secret' && o.metadata.name === reference.metadata.name);
    // As that release applied it (the reference's metadata may leave out an annotation that carried values).
    return secret ? structuredClone(secret) : undefined;
  }

  /**
   * Deletes what releases newer than `target` created in the environment and the target never had.
   * Candidates come only from this service's own records (the newer history entries, and the
   * failing rollout's plan), and an object is deleted only while it still carries the release
   * annotation of one of those releases: nothing else in the namespace is ever touched, and an
   * object someone re-created or another release took over since stays.
   */
  private async removeNewer(client: KubeClient, rollout: Rollout, environment: string, namespace: string, target: EnvironmentDeployment): Promise<string[]> {
    const keep = new Set([...(target.objects ?? []), ...target.workloads].map(objectKey));
    const candidates = new Map<string, { object: { apiVersion: string; kind: string; name: string }; releases: Set<string> }>();
    const add = (object: { apiVersion: string; kind: string; metadata: { name: string } }, releaseId: string) => {
      const key = objectKey(object);
      if (keep.has(key)) return;
      const entry = candidates.get(key) ?? {
        object: { apiVersion: object.apiVersion, kind: object.kind, name: object.metadata.name },
        releases: new Set<string>(),
      };
      entry.releases.add(releaseId);
      candidates.set(key, entry);
    };
    const newer = await this.recorder.db.transaction((manager) => this.recorder.rollouts.historyAfter(manager, rollout.service, environment, target.id));
    for (const entry of newer) for (const object of [...(entry.objects ?? []), ...entry.workloads]) add(object, entry.releaseId);
    if (rollout.kind === 'release')
      for (const object of rollout.plan.environments.find((e) => e.name === environment)?.objects ?? []) add(object, rollout.releaseId);
    const removed: string[] = [];
    for (const { object, releases } of candidates.values()) {
      const ref = { apiVersion: object.apiVersion, kind: object.kind, namespace, name: object.name };
      const live = await client.get(ref);
      const owner = live?.metadata.annotations?.[RELEASE_ANNOTATION];
      if (!live || !owner || owner === target.releaseId || !releases.has(owner)) continue;
      try {
        if (await client.delete(ref, { uid: live.metadata.uid, propagationPolicy: 'Background' })) removed.push(`${object.kind}/${object.name}`);
      } catch (error) {
        // Replaced between the read and the delete: it is someone else's object now.
        if (!(error instanceof KubeApiError && error.status === 409)) throw error;
      }
    }
    return removed;
  }

  private async replicaSetRunning(client: KubeClient, live: KubeObject, workload: KubeObject): Promise<KubeObject | undefined> {
    const selector = Object.entries(
      ((live.spec?.selector as { matchLabels?: Record<string, string> } | undefined)?.matchLabels ?? {}) as Record<string, string>,
    )
      .map(([k, v]) => `${k}=${v}`)
      .join(',');
    const { items } = await client.list({ ...REPLICA_SET, namespace: live.metadata.namespace }, { labelSelector: selector });
    const wanted = JSON.stringify(images(workload));
    return items
      .filter((rs) => rs.metadata.ownerReferences?.some((ref) => ref.uid === live.metadata.uid))
      .sort((a, b) => Number(b.metadata.annotations?.[REVISION_ANNOTATION] ?? 0) - Number(a.metadata.annotations?.[REVISION_ANNOTATION] ?? 0))
      .find((rs) => JSON.stringify(images(rs)) === wanted);
  }
}

export function summary(object: KubeObject): Record<string, unknown> {
  return {
    kind: object.kind,
    name: object.metadata.name,
    namespace: object.metadata.namespace ?? null,
    generation: object.metadata.generation ?? null,
    uid: object.metadata.uid ?? null,
  };
}

function images(object: KubeObject): string[] {
  const template = object.spec?.template as { spec?: { containers?: Array<{ name: string; image: string }> } } | undefined;
  return (template?.spec?.containers ?? []).map((c) => `${c.name}=${c.image}`);
}

function firstImage(object: KubeObject): string | null {
  const template = object.spec?.template as { spec?: { containers?: Array<{ image?: string }> } } | undefined;
  return template?.spec?.containers?.[0]?.image ?? null;
}

function waitTimeout(environment: EnvironmentPlan | undefined, deployment: KubeObject): number {
  const configured = environment?.timeout ? parseDurationMs(environment.timeout) : undefined;
  if (configured) return configured;
  const deadline = typeof deployment.spec?.progressDeadlineSeconds === 'number' ? deployment.spec.progressDeadlineSeconds : 600;
  return deadline * 1000 + 60_000;
}

/** 4xx answers other than conflicts and throttling will not change by retrying. */
export function isPermanent(error: KubeApiError): boolean {
  return error.status >= 400 && error.status < 500 && ![408, 409, 429].includes(error.status);
}
