import { randomUUID } from 'node:crypto';
import { canonical, deepEqual, recordUpdate, type Json, type JsonObject } from './field-ownership';
import { EventRecorder } from './event-recorder';
import type { ObjectStore, StoredObject } from './object-store';
import { applyDefaults } from './object-rules';
import { RESOURCE_TYPES, type ResourceType } from './resource-types';

/** What happens to a container running an image: the test hooks for unhappy rollouts. */
export type ImageBehaviour = 'ok' | 'crash' | 'unpullable' | 'never-ready';

const CONTROLLER = 'kube-controller-manager';
const SAFE_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';
const REVISION = 'deployment.kubernetes.io/revision';

const type = (kind: string): ResourceType => RESOURCE_TYPES.find((t) => t.kind === kind) as ResourceType;
const DEPLOYMENTS = type('Deployment');
const REPLICA_SETS = type('ReplicaSet');
const PODS = type('Pod');

const obj = (value: Json | undefined): JsonObject => (typeof value === 'object' && value !== null && !Array.isArray(value) ? value : {});
const meta = (object: JsonObject): JsonObject => obj(object.metadata);
const timestamp = (ms = Date.now()): string => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

/**
 * The deployment, replica-set and kubelet behaviour a rollout observes: a Deployment gets a
 * ReplicaSet per pod template (named by the template's hash, with a revision), a rolling update
 * within maxSurge/maxUnavailable, pods that start, crash, fail to pull or never become ready,
 * status with observedGeneration and the Progressing/Available conditions (ProgressDeadlineExceeded
 * included), and garbage collection of orphans.
 */
export class WorkloadController {
  private readonly timers = new Set<NodeJS.Timeout>();
  private pending = false;
  private stopped = false;
  private readonly progress = new Map<string, { fingerprint: string; atMs: number }>();
  private readonly podClock = new Map<string, number>();
  /** What the controllers, scheduler and kubelet say they did, as Events (`kubectl describe`, `kubectl get events`). */
  private readonly events: EventRecorder;

  constructor(
    private readonly store: ObjectStore,
    private readonly options: { podStartMs: number },
    private readonly behaviourOf: (image: string) => ImageBehaviour,
  ) {
    this.events = new EventRecorder(store);
  }

  schedule(delayMs = 0): void {
    if (this.stopped) return;
    if (delayMs <= 0) {
      if (this.pending) return;
      this.pending = true;
      setImmediate(() => {
        this.pending = false;
        this.reconcile();
      });
      return;
    }
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      this.reconcile();
    }, delayMs);
    timer.unref();
    this.timers.add(timer);
  }

  stop(): void {
    this.stopped = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }

  /** Runs every controller until nothing changes (bounded), as the real ones converge through their watches. */
  reconcile(): void {
    if (this.stopped) return;
    for (let pass = 0; pass < 25; pass++) {
      let changed = false;
      changed = this.collectGarbage() || changed;
      for (const deployment of this.store.list(DEPLOYMENTS)) changed = this.syncDeployment(deployment) || changed;
      for (const replicaSet of this.store.list(REPLICA_SETS)) changed = this.syncReplicaSet(replicaSet) || changed;
      for (const pod of this.store.list(PODS)) changed = this.syncPod(pod) || changed;
      if (!changed) return;
    }
  }

  private write(resource: ResourceType, before: StoredObject, after: JsonObject, subresource?: string): boolean {
    if (deepEqual(before.object, after)) return false;
    const owners = recordUpdate(before.object, after, before.owners, CONTROLLER, {
      apiVersion: resource.group ? `${resource.group}/v1` : 'v1',
      now: timestamp(),
      subresource,
    });
    this.store.put(resource, after, owners);
    return true;
  }

  private create(resource: ResourceType, object: JsonObject): void {
    const metadata = meta(object);
    metadata.uid = randomUUID();
    metadata.creationTimestamp = timestamp();
    if (resource.generation) metadata.generation = 1;
    applyDefaults(resource, object);
    const owners = recordUpdate(undefined, object, new Map(), CONTROLLER, { apiVersion: resource.group ? `${resource.group}/v1` : 'v1', now: timestamp() });
    this.store.put(resource, object, owners);
  }

  private owned(resource: ResourceType, owner: JsonObject): StoredObject[] {
    const uid = meta(owner).uid;
    return this.store
      .list(resource, String(meta(owner).namespace))
      .filter((stored) => ((meta(stored.object).ownerReferences as JsonObject[] | undefined) ?? []).some((ref) => ref.uid === uid && ref.controller === true));
  }

  private collectGarbage(): boolean {
    let changed = false;
    for (const [resource, ownerResource] of [
      [REPLICA_SETS, DEPLOYMENTS],
      [PODS, REPLICA_SETS],
    ] as const) {
      for (const stored of this.store.list(resource)) {
        const refs = (meta(stored.object).ownerReferences as JsonObject[] | undefined) ?? [];
        if (refs.length === 0) continue;
        const namespace = String(meta(stored.object).namespace);
        const alive = refs.some((ref) => {
          const owner = this.store.get(ownerResource, namespace, String(ref.name));
          return owner !== undefined && meta(owner.object).uid === ref.uid;
        });
        if (!alive) {
          this.store.remove(resource, namespace, String(meta(stored.object).name));
          changed = true;
        }
      }
    }
    return changed;
  }

  private syncDeployment(stored: StoredObject): boolean {
    const deployment = structuredClone(stored.object);
    const metadata = meta(deployment);
    const spec = obj(deployment.spec);
    const desired = typeof spec.replicas === 'number' ? spec.replicas : 1;
    const hash = templateHash(obj(spec.template));
    let changed = false;

    let owned = this.owned(REPLICA_SETS, deployment);
    const revisionOf = (rs: StoredObject) => Number(obj(meta(rs.object).annotations)[REVISION] ?? 0);
    const maxRevision = Math.max(0, ...owned.map(revisionOf));
    let current = owned.find((rs) => obj(meta(rs.object).labels)['pod-template-hash'] === hash);
    if (!current) {
      const template = structuredClone(obj(spec.template));
      const templateMeta = obj(template.metadata);
      template.metadata = { ...templateMeta, labels: { ...obj(templateMeta.labels), 'pod-template-hash': hash } };
      const selector = obj(spec.selector);
      this.create(REPLICA_SETS, {
        metadata: {
          name: `${String(metadata.name)}-${hash}`,
          namespace: metadata.namespace ?? null,
          labels: { ...obj(obj(obj(spec.template).metadata).labels), 'pod-template-hash': hash },
          annotations: {
            [REVISION]: String(maxRevision + 1),
            'deployment.kubernetes.io/desired-replicas': String(desired),
            'deployment.kubernetes.io/max-replicas': String(desired + surge(spec, desired)),
          },
          ownerReferences: [
            { apiVersion: 'apps/v1', kind: 'Deployment', name: metadata.name ?? null, uid: metadata.uid ?? null, controller: true, blockOwnerDeletion: true },
          ],
        },
        spec: {
          replicas: 0,
          minReadySeconds: spec.minReadySeconds ?? 0,
          selector: { ...selector, matchLabels: { ...obj(selector.matchLabels), 'pod-template-hash': hash } },
          template,
        },
      });
      owned = this.owned(REPLICA_SETS, deployment);
      current = owned.find((rs) => obj(meta(rs.object).labels)['pod-template-hash'] === hash) as StoredObject;
      this.progress.set(String(metadata.uid), { fingerprint: 'new', atMs: Date.now() });
      changed = true;
    } else if (revisionOf(current) < maxRevision) {
      // Rolling back to an older template re-uses its ReplicaSet under a new revision, as the controller does.
      const updated = structuredClone(current.object);
      meta(updated).annotations = { ...obj(meta(updated).annotations), [REVISION]: String(maxRevision + 1) };
      changed = this.write(REPLICA_SETS, current, updated) || changed;
      current = this.owned(REPLICA_SETS, deployment).find((rs) => meta(rs.object).uid === meta(current!.object).uid) as StoredObject;
      this.progress.set(String(metadata.uid), { fingerprint: 'rollback', atMs: Date.now() });
    }
    const revision = String(revisionOf(current));
    if (obj(metadata.annotations)[REVISION] !== revision) {
      const updated = structuredClone(stored.object);
      meta(updated).annotations = { ...obj(meta(updated).annotations), [REVISION]: revision };
      changed = this.write(DEPLOYMENTS, stored, updated) || changed;
      stored = this.store.get(DEPLOYMENTS, String(metadata.namespace), String(metadata.name)) as StoredObject;
    }

    if (!spec.paused) changed = this.scale(stored, current, owned, desired) || changed;

    owned = this.owned(REPLICA_SETS, stored.object);
    current = owned.find((rs) => obj(meta(rs.object).labels)['pod-template-hash'] === hash) as StoredObject;
    return this.updateDeploymentStatus(stored, current, owned, desired) || changed;
  }

  private scale(deployment: StoredObject, current: StoredObject, owned: StoredObject[], desired: number): boolean {
    const spec = obj(deployment.object.spec);
    const strategy = obj(spec.strategy);
    const replicasOf = (rs: StoredObject) => Number(obj(rs.object.spec).replicas ?? 0);
    const statusOf = (rs: StoredObject, field: string) => Number(obj(rs.object.status)[field] ?? 0);
    const old = owned.filter((rs) => rs !== current && meta(rs.object).uid !== meta(current.object).uid);
    let changed = false;
    const setReplicas = (rs: StoredObject, replicas: number) => {
      const from = replicasOf(rs);
      if (from === replicas) return;
      const updated = structuredClone(rs.object);
      obj(updated.spec).replicas = replicas;
      meta(updated).annotations = { ...obj(meta(updated).annotations), 'deployment.kubernetes.io/desired-replicas': String(desired) };
      changed = this.write(REPLICA_SETS, rs, updated) || changed;
      this.events.record(
        DEPLOYMENTS,
        deployment.object,
        'Normal',
        'ScalingReplicaSet',
        `Scaled ${replicas > from ? 'up' : 'down'} replica set ${String(meta(rs.object).name)} to ${replicas} from ${from}`,
        'deployment-controller',
      );
    };
    if (strategy.type === 'Recreate') {
      for (const rs of old) setReplicas(rs, 0);
      const oldPods = old.reduce((n, rs) => n + statusOf(rs, 'replicas'), 0);
      setReplicas(current, oldPods === 0 ? desired : 0);
      return changed;
    }
    const maxSurge = surge(spec, desired);
    const maxUnavailable = unavailable(spec, desired, maxSurge);
    const total = owned.reduce((n, rs) => n + replicasOf(rs), 0);
    // Scale up the new ReplicaSet within maxSurge.
    const scaleUpTo = Math.min(desired, replicasOf(current) + Math.max(0, desired + maxSurge - total));
    if (scaleUpTo > replicasOf(current)) setReplicas(current, scaleUpTo);
    if (replicasOf(current) > desired) setReplicas(current, desired);
    // Scale old ReplicaSets down, keeping desired - maxUnavailable available (new unavailable pods count against it).
    const allPods = owned.reduce((n, rs) => n + replicasOf(rs), 0);
    const newUnavailable = replicasOf(current) - statusOf(current, 'availableReplicas');
    let scaleDown = Math.max(0, allPods - (desired - maxUnavailable) - Math.max(0, newUnavailable));
    const oldest = [...old].sort((a, b) => String(meta(a.object).creationTimestamp).localeCompare(String(meta(b.object).creationTimestamp)));
    for (const rs of oldest) {
      if (scaleDown <= 0) break;
      const take = Math.min(replicasOf(rs), scaleDown);
      if (take > 0) setReplicas(rs, replicasOf(rs) - take);
      scaleDown -= take;
    }
    return changed;
  }

  private updateDeploymentStatus(stored: StoredObject, current: StoredObject, owned: StoredObject[], desired: number): boolean {
    const deployment = structuredClone(stored.object);
    const metadata = meta(deployment);
    const spec = obj(deployment.spec);
    const sum = (field: string) => owned.reduce((n, rs) => n + Number(obj(rs.object.status)[field] ?? 0), 0);
    const replicas = sum('replicas');
    const updated = Number(obj(current.object.status).replicas ?? 0);
    const ready = sum('readyReplicas');
    const available = sum('availableReplicas');
    const specTotal = owned.reduce((n, rs) => n + Number(obj(rs.object.spec).replicas ?? 0), 0);
    const previous = obj(deployment.status);
    const conditions = ((previous.conditions as JsonObject[] | undefined) ?? []).map((c) => ({ ...c }));
    const now = Date.now();
    const condition = (kind: string, status: string, reason: string, message: string, touched: boolean) => {
      const existing = conditions.find((c) => c.type === kind);
      if (existing && existing.status === status && existing.reason === reason && existing.message === message && !touched) return;
      const next: JsonObject = {
        type: kind,
        status,
        lastUpdateTime: timestamp(now),
        lastTransitionTime: existing && existing.status === status ? (existing.lastTransitionTime ?? timestamp(now)) : timestamp(now),
        reason,
        message,
      };
      if (existing) Object.assign(existing, next);
      else conditions.push(next);
    };
    const maxUnavailable = unavailable(spec, desired, surge(spec, desired));
    if (available >= desired - maxUnavailable) condition('Available', 'True', 'MinimumReplicasAvailable', 'Deployment has minimum availability.', false);
    else condition('Available', 'False', 'MinimumReplicasUnavailable', 'Deployment does not have minimum availability.', false);

    const rsName = String(meta(current.object).name);
    const uid = String(metadata.uid);
    const fingerprint = `${rsName}:${updated}:${ready}:${available}:${replicas}`;
    const seen = this.progress.get(uid);
    const progressed = !seen || seen.fingerprint !== fingerprint;
    if (progressed) this.progress.set(uid, { fingerprint, atMs: now });
    const complete = updated === desired && replicas === desired && available === desired;
    const deadlineMs = Number(spec.progressDeadlineSeconds ?? 600) * 1000;
    const progressing = conditions.find((c) => c.type === 'Progressing');
    if (complete) {
      condition('Progressing', 'True', 'NewReplicaSetAvailable', `ReplicaSet "${rsName}" has successfully progressed.`, false);
    } else if (progressed) {
      const reason = seen?.fingerprint === 'new' || !progressing ? 'NewReplicaSetCreated' : 'ReplicaSetUpdated';
      condition(
        'Progressing',
        'True',
        reason,
        reason === 'NewReplicaSetCreated' ? `Created new replica set "${rsName}"` : `ReplicaSet "${rsName}" is progressing.`,
        true,
      );
      this.schedule(deadlineMs + 5);
    } else if (now - (this.progress.get(uid)?.atMs ?? now) >= deadlineMs) {
      condition('Progressing', 'False', 'ProgressDeadlineExceeded', `ReplicaSet "${rsName}" has timed out progressing.`, false);
    }

    const status: JsonObject = {
      observedGeneration: metadata.generation ?? 1,
      replicas,
      updatedReplicas: updated,
      readyReplicas: ready,
      availableReplicas: available,
      ...(specTotal - available > 0 ? { unavailableReplicas: specTotal - available } : {}),
      conditions,
    };
    for (const field of ['replicas', 'updatedReplicas', 'readyReplicas', 'availableReplicas'] as const) if (status[field] === 0) delete status[field];
    if (deepEqual(canonical(previous as Json) as Json, canonical(status) as Json)) return false;
    deployment.status = status;
    return this.write(DEPLOYMENTS, stored, deployment, 'status');
  }

  private syncReplicaSet(stored: StoredObject): boolean {
    const rs = stored.object;
    const spec = obj(rs.spec);
    const desired = typeof spec.replicas === 'number' ? spec.replicas : 1;
    let pods = this.owned(PODS, rs);
    let changed = false;
    const namespace = String(meta(rs).namespace);
    if (pods.length < desired) {
      for (let i = pods.length; i < desired; i++) {
        const template = obj(spec.template);
        const podSpec = structuredClone(obj(template.spec));
        podSpec.nodeName = 'simulator-node';
        const created = Date.now();
        const name = `${String(meta(rs).name)}-${randomSuffix()}`;
        this.create(PODS, {
          metadata: {
            name,
            namespace,
            labels: { ...obj(obj(template.metadata).labels) },
            ...(obj(template.metadata).annotations ? { annotations: structuredClone(obj(obj(template.metadata).annotations)) } : {}),
            ownerReferences: [
              { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: meta(rs).name ?? null, uid: meta(rs).uid ?? null, controller: true, blockOwnerDeletion: true },
            ],
          },
          spec: podSpec,
          status: {
            phase: 'Pending',
            conditions: [{ type: 'PodScheduled', status: 'True', lastProbeTime: null, lastTransitionTime: timestamp(created) }],
            qosClass: 'BestEffort',
          },
        });
        const pod = this.store.get(PODS, namespace, name) as StoredObject;
        this.podClock.set(String(meta(pod.object).uid), created);
        this.events.record(REPLICA_SETS, rs, 'Normal', 'SuccessfulCreate', `Created pod: ${name}`, 'replicaset-controller');
        this.events.record(PODS, pod.object, 'Normal', 'Scheduled', `Successfully assigned ${namespace}/${name} to simulator-node`, 'default-scheduler');
        this.schedule(this.options.podStartMs + 1);
        this.schedule(this.options.podStartMs * 2 + 1);
      }
      changed = true;
      pods = this.owned(PODS, rs);
    } else if (pods.length > desired) {
      const isReady = (pod: StoredObject) =>
        ((obj(pod.object.status).conditions as JsonObject[] | undefined) ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
      const victims = [...pods]
        .sort(
          (a, b) => Number(isReady(a)) - Number(isReady(b)) || String(meta(b.object).creationTimestamp).localeCompare(String(meta(a.object).creationTimestamp)),
        )
        .slice(0, pods.length - desired);
      for (const pod of victims) {
        this.podClock.delete(String(meta(pod.object).uid));
        this.store.remove(PODS, namespace, String(meta(pod.object).name));
        this.events.record(REPLICA_SETS, rs, 'Normal', 'SuccessfulDelete', `Deleted pod: ${String(meta(pod.object).name)}`, 'replicaset-controller');
      }
      changed = true;
      pods = this.owned(PODS, rs);
    }
    const ready = pods.filter((pod) =>
      ((obj(pod.object.status).conditions as JsonObject[] | undefined) ?? []).some((c) => c.type === 'Ready' && c.status === 'True'),
    ).length;
    const status: JsonObject = {
      replicas: pods.length,
      fullyLabeledReplicas: pods.length,
      readyReplicas: ready,
      availableReplicas: ready,
      observedGeneration: meta(rs).generation ?? 1,
    };
    for (const field of ['fullyLabeledReplicas', 'readyReplicas', 'availableReplicas'] as const) if (status[field] === 0) delete status[field];
    if (deepEqual(obj(rs.status), status)) return changed;
    const updated = structuredClone(rs);
    updated.status = status;
    return this.write(REPLICA_SETS, stored, updated, 'status') || changed;
  }

  private syncPod(stored: StoredObject): boolean {
    const pod = stored.object;
    const uid = String(meta(pod).uid);
    const created = this.podClock.get(uid) ?? Date.parse(String(meta(pod).creationTimestamp));
    const elapsed = Date.now() - created;
    const start = this.options.podStartMs;
    const containers = ((obj(pod.spec).containers as JsonObject[] | undefined) ?? []).map((c) => ({ name: String(c.name), image: String(c.image) }));
    const startedAt = timestamp(created + start);
    const statuses: JsonObject[] = containers.map(({ name, image }): JsonObject => {
      const behaviour = this.behaviourOf(image);
      const base = { name, image, imageID: '', restartCount: 0, started: false, ready: false };
      if (elapsed < start) return { ...base, state: { waiting: { reason: 'ContainerCreating' } }, lastState: {} };
      switch (behaviour) {
        case 'ok':
          return {
            ...base,
            imageID: imageId(image),
            started: true,
            ready: true,
            state: { running: { startedAt } },
            lastState: {},
            containerID: `containerd://${uid.replace(/-/g, '')}`,
          };
        case 'never-ready':
          return {
            ...base,
            imageID: imageId(image),
            started: true,
            ready: false,
            state: { running: { startedAt } },
            lastState: {},
            containerID: `containerd://${uid.replace(/-/g, '')}`,
          };
        case 'crash': {
          const terminated = { exitCode: 1, reason: 'Error', startedAt, finishedAt: startedAt, containerID: `containerd://${uid.replace(/-/g, '')}` };
          if (elapsed < start * 2) return { ...base, imageID: imageId(image), state: { terminated }, lastState: {} };
          return {
            ...base,
            imageID: imageId(image),
            restartCount: 1,
            state: {
              waiting: {
                reason: 'CrashLoopBackOff',
                message: `back-off 10s restarting failed container=${name} pod=${String(meta(pod).name)}_${String(meta(pod).namespace)}(${uid})`,
              },
            },
            lastState: { terminated },
          };
        }
        case 'unpullable':
          return elapsed < start * 2
            ? {
                ...base,
                state: {
                  waiting: { reason: 'ErrImagePull', message: `rpc error: code = NotFound desc = failed to pull and unpack image "${image}": not found` },
                },
                lastState: {},
              }
            : { ...base, state: { waiting: { reason: 'ImagePullBackOff', message: `Back-off pulling image "${image}"` } }, lastState: {} };
      }
    });
    const pulled = containers.every(({ image }) => this.behaviourOf(image) !== 'unpullable');
    const allReady = statuses.length > 0 && statuses.every((s) => s.ready === true);
    const running = elapsed >= start && pulled;
    const previous = obj(pod.status);
    const transition = (kind: string, status: string, reason?: string) => {
      const old = ((previous.conditions as JsonObject[] | undefined) ?? []).find((c) => c.type === kind);
      return {
        type: kind,
        status,
        lastProbeTime: null,
        lastTransitionTime: old && old.status === status ? (old.lastTransitionTime ?? timestamp()) : timestamp(),
        ...(reason ? { reason } : {}),
      };
    };
    const notReady = allReady ? undefined : 'ContainersNotReady';
    const status: JsonObject = {
      phase: running ? 'Running' : 'Pending',
      conditions: [
        transition('Initialized', 'True'),
        transition('Ready', allReady ? 'True' : 'False', notReady),
        transition('ContainersReady', allReady ? 'True' : 'False', notReady),
        transition('PodScheduled', 'True'),
      ],
      hostIP: '10.0.0.10',
      ...(running ? { podIP: podIp(uid), podIPs: [{ ip: podIp(uid) }] } : {}),
      startTime: timestamp(created),
      containerStatuses: statuses,
      qosClass: 'BestEffort',
    };
    if (deepEqual(previous, status)) return false;
    const updated = structuredClone(pod);
    updated.status = status;
    const written = this.write(PODS, stored, updated, 'status');
    this.recordContainerEvents(pod, (previous.containerStatuses as JsonObject[] | undefined) ?? [], statuses);
    return written;
  }

  /** The kubelet's events for each container whose state changed: pulled/created/started, or why it is not running. */
  private recordContainerEvents(pod: JsonObject, before: JsonObject[], after: JsonObject[]): void {
    const stateOf = (status: JsonObject | undefined) => {
      const state = obj(status?.state);
      if (state.running) return 'running';
      if (state.terminated) return 'terminated';
      return String(obj(state.waiting).reason ?? 'waiting');
    };
    const say = (type: 'Normal' | 'Warning', reason: string, message: string) => this.events.record(PODS, pod, type, reason, message, 'kubelet');
    for (const status of after) {
      const name = String(status.name);
      const image = String(status.image);
      const was = stateOf(before.find((s) => s.name === name));
      const now = stateOf(status);
      if (was === now) continue;
      if ((now === 'running' || now === 'terminated') && was !== 'running' && was !== 'terminated') {
        say('Normal', 'Pulled', `Container image "${image}" already present on machine`);
        say('Normal', 'Created', `Created container: ${name}`);
        say('Normal', 'Started', `Started container ${name}`);
      } else if (now === 'CrashLoopBackOff') {
        say(
          'Warning',
          'BackOff',
          `Back-off restarting failed container ${name} in pod ${String(meta(pod).name)}_${String(meta(pod).namespace)}(${String(meta(pod).uid)})`,
        );
      } else if (now === 'ErrImagePull') {
        say('Normal', 'Pulling', `Pulling image "${image}"`);
        say('Warning', 'Failed', `Failed to pull image "${image}": ${String(obj(obj(status.state).waiting).message ?? 'not found')}`);
      } else if (now === 'ImagePullBackOff') {
        say('Normal', 'BackOff', `Back-off pulling image "${image}"`);
      }
    }
  }
}

/** The pod-template-hash: FNV-1a of the template, spelled with the controller's safe alphabet. */
export function templateHash(template: JsonObject): string {
  let hash = 0x811c9dc5;
  for (const char of JSON.stringify(canonical(template))) {
    hash ^= char.charCodeAt(0);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return [...String(hash)].map((digit) => SAFE_ALPHABET[digit.charCodeAt(0) % SAFE_ALPHABET.length]).join('');
}

function randomSuffix(): string {
  return Array.from({ length: 5 }, () => SAFE_ALPHABET[Math.floor(Math.random() * SAFE_ALPHABET.length)]).join('');
}

function resolvePercent(value: Json | undefined, desired: number, roundUp: boolean, fallback: string): number {
  const raw = value ?? fallback;
  if (typeof raw === 'number') return raw;
  const match = /^(\d+)%$/.exec(String(raw));
  if (!match) return Number(raw) || 0;
  const exact = (Number(match[1]) * desired) / 100;
  return roundUp ? Math.ceil(exact) : Math.floor(exact);
}

function surge(spec: JsonObject, desired: number): number {
  return resolvePercent(obj(obj(spec.strategy).rollingUpdate).maxSurge, desired, true, '25%');
}

function unavailable(spec: JsonObject, desired: number, maxSurge: number): number {
  const value = resolvePercent(obj(obj(spec.strategy).rollingUpdate).maxUnavailable, desired, false, '25%');
  // Both zero would deadlock a rollout; the API forbids it and the controller treats it as one.
  return value === 0 && maxSurge === 0 ? 1 : value;
}

function imageId(image: string): string {
  const at = image.indexOf('@');
  return at >= 0 ? image : `${image}@sha256:${'0'.repeat(64)}`;
}

function podIp(uid: string): string {
  const n = parseInt(uid.slice(0, 4), 16);
  return `10.244.${(n >> 8) & 255}.${n & 255 || 1}`;
}
