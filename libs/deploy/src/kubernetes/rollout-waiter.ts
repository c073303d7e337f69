import { currentReplicaSet, deploymentRolloutState, failingPods, type FailingPod } from './deployment-status';
import { KubeApiError, type KubeClient, type KubeList, type WatchEvent } from './kube-client';
import { DEPLOYMENT, POD, REPLICA_SET, type KubeObject, type ObjectRef } from './kube-resources';

export type WaitOutcome =
  | { ok: true; message: string; elapsedMs: number }
  | {
      ok: false;
      /** `ApiError`: the API server refused a read (e.g. 403) or stayed unreachable beyond the client's retries. */
      reason: 'ProgressDeadlineExceeded' | 'PodsFailing' | 'Timeout' | 'NotFound' | 'Aborted' | 'ApiError';
      message: string;
      pods?: FailingPod[];
      elapsedMs: number;
    };

export interface WaitOptions {
  /** Our own bound, beyond the Deployment's progress deadline (which the cluster enforces). */
  timeoutMs: number;
  signal?: AbortSignal;
  onProgress?: (message: string) => void;
  /** A watch or list failed transiently and is being retried (for logs and metrics). */
  onRetry?: (error: KubeApiError) => void;
}

/**
 * Waits for a Deployment's rollout the way `kubectl rollout status` does, but through watches on
 * the Deployment, its ReplicaSets and its pods, so it also fails fast: a pod of the new template
 * in CrashLoopBackOff or ImagePullBackOff ends the wait at once instead of at the deadline.
 * Six requests for a whole wait (a list and a watch of each), however long it takes.
 */
export async function waitForRollout(client: KubeClient, namespace: string, name: string, options: WaitOptions): Promise<WaitOutcome> {
  const started = Date.now();
  const elapsed = () => Date.now() - started;
  const controller = new AbortController();
  const stopOuter = () => controller.abort();
  options.signal?.addEventListener('abort', stopOuter, { once: true });

  const state = { deployment: undefined as KubeObject | undefined, replicaSets: new Map<string, KubeObject>(), pods: new Map<string, KubeObject>() };
  let settle!: (outcome: WaitOutcome) => void;
  const decided = new Promise<WaitOutcome>((resolve) => (settle = resolve));
  let done = false;
  let lastMessage = '';
  const finish = (outcome: WaitOutcome) => {
    if (done) return;
    done = true;
    settle(outcome);
  };

  const evaluate = () => {
    if (done) return;
    const deployment = state.deployment;
    if (!deployment) return;
    const rs = currentReplicaSet(deployment, [...state.replicaSets.values()]);
    if (rs) {
      const failing = failingPods([...state.pods.values()], rs);
      if (failing.length) {
        const first = failing[0];
        finish({
          ok: false,
          reason: 'PodsFailing',
          message: `deployment "${name}": pod ${first.pod} container ${first.container} is in ${first.reason}${first.message ? `: ${first.message}` : ''}`,
          pods: failing,
          elapsedMs: elapsed(),
        });
        return;
      }
    }
    const rollout = deploymentRolloutState(deployment);
    if (rollout.phase === 'complete') finish({ ok: true, message: rollout.message, elapsedMs: elapsed() });
    else if (rollout.phase === 'failed') finish({ ok: false, reason: rollout.reason, message: rollout.message, elapsedMs: elapsed() });
    else if (rollout.message !== lastMessage) {
      lastMessage = rollout.message;
      options.onProgress?.(rollout.message);
    }
  };

  const selectorOf = (deployment: KubeObject) =>
    Object.entries(((deployment.spec?.selector as { matchLabels?: Record<string, string> } | undefined)?.matchLabels ?? {}) as Record<string, string>)
      .map(([k, v]) => `${k}=${v}`)
      .join(',');

  // Follows one collection: list, then watch from the list's resourceVersion. When a watch ends or
  // drops (reset, 429, 5xx), watch again from the last resourceVersion seen, with backoff; re-list
  // only on 410 Gone. A flaky API server delays the verdict, it never decides it.
  const follow = async (
    ref: ObjectRef,
    selectors: { labelSelector?: string; fieldSelector?: string },
    apply: (event: WatchEvent | { type: 'RESET'; items: KubeObject[] }) => void,
    initial?: KubeList,
  ) => {
    let listed = initial;
    let resourceVersion: string | undefined;
    let failures = 0;
    while (!done && !controller.signal.aborted) {
      try {
        if (resourceVersion === undefined) {
          listed ??= await client.list(ref, selectors);
          apply({ type: 'RESET', items: listed.items });
          evaluate();
          resourceVersion = listed.resourceVersion;
          listed = undefined;
        }
        const ended = await client.watch(ref, { ...selectors, resourceVersion, signal: controller.signal }, (event) => {
          failures = 0;
          if (event.object.metadata?.resourceVersion) resourceVersion = event.object.metadata.resourceVersion;
          if (event.type !== 'BOOKMARK') apply(event);
          evaluate();
        });
        if (ended === 'aborted') return;
        if (ended === 'gone') resourceVersion = undefined;
      } catch (error) {
        // Some servers answer a too-old resourceVersion with an HTTP 410 instead of an ERROR event: re-list.
        if (error instanceof KubeApiError && error.status === 410) {
          resourceVersion = undefined;
          continue;
        }
        if (!(error instanceof KubeApiError && error.transient) || done || controller.signal.aborted) throw error;
        failures += 1;
        options.onRetry?.(error);
        await delay(Math.min(5000, 100 * 2 ** Math.min(failures, 6)), controller.signal);
      }
    }
  };
  const intoMap = (map: Map<string, KubeObject>) => (event: WatchEvent | { type: 'RESET'; items: KubeObject[] }) => {
    if (event.type === 'RESET') {
      map.clear();
      for (const item of event.items) map.set(item.metadata.name, item);
    } else if (event.type === 'DELETED') map.delete(event.object.metadata.name);
    else map.set(event.object.metadata.name, event.object);
  };

  const timer = setTimeout(
    () =>
      finish({
        ok: false,
        reason: 'Timeout',
        message: `deployment "${name}" did not finish rolling out within ${Math.round(options.timeoutMs / 1000)} s (${lastMessage || 'no progress'})`,
        elapsedMs: elapsed(),
      }),
    options.timeoutMs,
  );
  controller.signal.addEventListener(
    'abort',
    () => finish({ ok: false, reason: 'Aborted', message: `stopped waiting for deployment "${name}"`, elapsedMs: elapsed() }),
    { once: true },
  );

  const failed = (error: unknown) => {
    if (done) return;
    if (error instanceof Error && error.name === 'AbortError') return;
    finish({
      ok: false,
      reason: 'ApiError',
      message: `watching deployment "${name}" failed: ${error instanceof Error ? error.message : String(error)}`,
      elapsedMs: elapsed(),
    });
  };

  try {
    const deploymentRef = { ...DEPLOYMENT, namespace };
    const byName = { fieldSelector: `metadata.name=${name}` };
    const first = await client.list(deploymentRef, byName);
    const deployment = first.items[0];
    if (!deployment) return { ok: false, reason: 'NotFound', message: `deployment "${name}" not found in namespace ${namespace}`, elapsedMs: elapsed() };
    state.deployment = deployment;
    const labelSelector = selectorOf(deployment);
    // Only a list without it or a DELETED event says the Deployment is gone; a failed request says nothing.
    const onDeployment = (event: WatchEvent | { type: 'RESET'; items: KubeObject[] }) => {
      if (event.type === 'RESET') {
        if (!event.items[0]) finish({ ok: false, reason: 'NotFound', message: `deployment "${name}" was deleted while rolling out`, elapsedMs: elapsed() });
        else state.deployment = event.items[0];
      } else if (event.type === 'DELETED')
        finish({ ok: false, reason: 'NotFound', message: `deployment "${name}" was deleted while rolling out`, elapsedMs: elapsed() });
      else state.deployment = event.object;
    };
    evaluate();
    if (!done) {
      follow(deploymentRef, byName, onDeployment, first).catch(failed);
      follow({ ...REPLICA_SET, namespace }, { labelSelector }, intoMap(state.replicaSets)).catch(failed);
      follow({ ...POD, namespace }, { labelSelector }, intoMap(state.pods)).catch(failed);
    }
    return await decided;
  } catch (error) {
    if (error instanceof KubeApiError) return { ok: false, reason: 'ApiError', message: error.message, elapsedMs: elapsed() };
    throw error;
  } finally {
    done = true;
    clearTimeout(timer);
    controller.abort();
    options.signal?.removeEventListener('abort', stopOuter);
  }
}

function delay(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
