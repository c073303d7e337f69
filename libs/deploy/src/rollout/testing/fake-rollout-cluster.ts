import type { PrometheusClient, QueryValue } from '../../analysis/prometheus.client';
import type { KubeClient } from '../../kubernetes/kube-client';
import type { KubeObject, ObjectRef } from '../../kubernetes/kube-resources';
import type { EnvironmentPlan } from '../../kubernetes/manifest-set';
import type { WaitOutcome } from '../../kubernetes/rollout-waiter';
import type { RestoreResult, RolloutCluster } from '../rollout-cluster';
import type { EnvironmentDeployment, Rollout } from '../rollout.entity';

/** The part of RolloutCluster that the deploy, promote, gate and rollback steps call. */
export type RolloutClusterOperations = Pick<
  RolloutCluster,
  'kubernetes' | 'primary' | 'stableImage' | 'ensureNamespace' | 'applyAll' | 'waitFor' | 'deleteCanary' | 'restore'
>;

/**
 * A cluster whose answers a test scripts: what an apply returns (or throws), how each Deployment's
 * wait ends, whether a canary was there, how a restore ends. It records what it was asked to do.
 * The real operations run against the Kubernetes API simulator in test/e2e/rollout.
 */
export class FakeRolloutCluster implements RolloutClusterOperations {
  applyError: Error | undefined;
  waits = new Map<string, WaitOutcome>();
  canary: string | undefined;
  restoreResult: RestoreResult = { outcome: 'restored', message: 'restored the previous release' };

  /** Objects in the cluster, by `Kind namespace/name` (see `liveKey`): what `kubernetes()` reads and writes. */
  readonly live = new Map<string, KubeObject>();
  /** Objects deleted through `kubernetes().delete`, as `Kind namespace/name`. */
  readonly deleted: string[] = [];
  /** Without `answerQueries` there is no PROMETHEUS_URL: every measurement is inconclusive. */
  readonly access: { hasPrometheus: boolean; prometheus: () => Pick<PrometheusClient, 'queryValue'> } = {
    hasPrometheus: false,
    prometheus: () => {
      throw new Error('PROMETHEUS_URL is not set');
    },
  };
  /** The PromQL queries asked, in order. */
  readonly queries: string[] = [];

  /** Prometheus answers each query with `answer(query)` (a value, no data, or a thrown PrometheusError). */
  answerQueries(answer: (query: string) => QueryValue): void {
    this.access.hasPrometheus = true;
    this.access.prometheus = () => ({
      queryValue: async (query: string) => {
        this.queries.push(query);
        return answer(query);
      },
    });
  }

  readonly namespaces: string[] = [];
  readonly applied: KubeObject[][] = [];
  readonly waitedFor: string[] = [];
  readonly canariesDeleted: string[] = [];
  readonly restores: Array<{ environment: string; namespace: string; target: EnvironmentDeployment | undefined; abortable: boolean }> = [];

  private waiting: Array<() => void> = [];

  /** Resolves once a step is waiting for a Deployment (to interrupt it at the right moment). */
  whenWaiting(): Promise<void> {
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  /** Used where a RolloutCluster is injected: the steps call only the operations above. */
  get asCluster(): RolloutCluster {
    return this as unknown as RolloutCluster;
  }

  /** Puts an object into the cluster as if something had applied it earlier. */
  put(object: KubeObject): void {
    this.live.set(liveKey(object.kind, object.metadata.namespace, object.metadata.name), object);
  }

  /** A client over `live` (canary and dark-launch steps talk to it directly): get, list, apply, delete. */
  kubernetes(): KubeClient {
    const client = {
      get: async (ref: ObjectRef & { name: string }) => this.live.get(liveKey(ref.kind, ref.namespace, ref.name)),
      list: async (ref: ObjectRef) => ({
        items: [...this.live.values()].filter((o) => o.kind === ref.kind && o.metadata.namespace === ref.namespace),
        resourceVersion: '1',
      }),
      apply: async (object: KubeObject) => {
        const applied = { ...object, metadata: { ...object.metadata, uid: `uid-${object.metadata.name}`, generation: 1 } };
        this.put(applied);
        return applied;
      },
      delete: async (ref: ObjectRef & { name: string }) => {
        const key = liveKey(ref.kind, ref.namespace, ref.name);
        if (!this.live.delete(key)) return false;
        this.deleted.push(key);
        return true;
      },
    };
    return client as unknown as KubeClient;
  }

  primary(environment: EnvironmentPlan): KubeObject {
    const primary = environment.objects.find((o) => o.kind === 'Deployment' && o.metadata.name === environment.primary);
    if (!primary) throw new Error(`environment ${environment.name} has no Deployment for a canary`);
    return primary;
  }

  async stableImage(environment: EnvironmentPlan): Promise<string | undefined> {
    const live = this.live.get(liveKey('Deployment', environment.namespace, environment.primary ?? ''));
    const template = live?.spec?.template as { spec?: { containers?: Array<{ image?: string }> } } | undefined;
    return template?.spec?.containers?.[0]?.image;
  }

  async ensureNamespace(_client: KubeClient, namespace: string): Promise<void> {
    this.namespaces.push(namespace);
  }

  async applyAll(_client: KubeClient, objects: KubeObject[]): Promise<KubeObject[]> {
    if (this.applyError) throw this.applyError;
    const applied = objects.map((o) => ({ ...o, metadata: { ...o.metadata, uid: `uid-${o.metadata.name}`, generation: 1 } }));
    this.applied.push(applied);
    return applied;
  }

  async waitFor(
    _client: KubeClient,
    _rolloutId: string,
    _index: number,
    _environment: EnvironmentPlan,
    name: string,
    signal: AbortSignal,
  ): Promise<WaitOutcome> {
    this.waitedFor.push(name);
    for (const notify of this.waiting.splice(0)) notify();
    const scripted = this.waits.get(name);
    if (scripted?.ok === false && scripted.reason === 'Aborted' && !signal.aborted) {
      // An interrupted wait ends when its signal fires, as the real watch does.
      await new Promise((resolve) => signal.addEventListener('abort', resolve, { once: true }));
    }
    return scripted ?? { ok: true, message: `deployment "${name}" successfully rolled out`, elapsedMs: 5 };
  }

  async deleteCanary(_client: KubeClient, _rollout: Rollout, environment: EnvironmentPlan): Promise<string | undefined> {
    if (!this.canary) return undefined;
    const name = this.canary;
    this.canary = undefined;
    this.canariesDeleted.push(`${environment.namespace}/${name}`);
    return name;
  }

  async restore(
    _rollout: Rollout,
    environment: string,
    namespace: string,
    target: EnvironmentDeployment | undefined,
    _signal: AbortSignal,
    abortable: boolean,
  ): Promise<RestoreResult> {
    this.restores.push({ environment, namespace, target, abortable });
    return target || this.restoreResult.outcome !== 'restored'
      ? this.restoreResult
      : { outcome: 'nothing', message: `nothing to roll back to: ${environment}` };
  }
}

export function liveKey(kind: string, namespace: string | undefined, name: string): string {
  return `${kind} ${namespace ?? ''}/${name}`;
}
