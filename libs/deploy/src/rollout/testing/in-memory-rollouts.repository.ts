import type { EntityManager } from 'typeorm';
import type { AuditEventInput, AuditService } from '@switchyard/audit';
import type { Measurement } from '../../analysis/canary-analysis';
import type { Database } from '@switchyard/persistence';
import type { RolloutMetrics } from '../../metrics/rollout.metrics';
import type { RolloutNotification, WebhookNotifier } from '../../webhooks/webhook.notifier';
import type { ManifestDocument } from '../../kubernetes/manifest-set';
import type { EnvironmentDeployment, Rollout, RolloutStatus } from '../rollout.entity';
import { RolloutRecorder } from '../rollout-recorder';
import { RolloutInterrupts } from '../rollout-interrupts';
import { RolloutSignals } from '../rollout-signals';
import type { RolloutChange, RolloutsRepository } from '../rollouts.repository';

/** The part of RolloutsRepository that RolloutRecorder and the step handlers under unit test use. */
export type RolloutRecords = Pick<RolloutsRepository, 'find' | 'update' | 'history' | 'recordDeployment' | 'unlock' | 'measurements' | 'addMeasurements'>;

/** The part of RolloutsRepository that RolloutsService uses (starting, reading, approving, aborting, rolling back). */
export type RolloutServiceRecords = Pick<
  RolloutsRepository,
  | 'insert'
  | 'find'
  | 'latestForRelease'
  | 'list'
  | 'update'
  | 'lockHolders'
  | 'lockHolder'
  | 'lock'
  | 'unlock'
  | 'measurements'
  | 'history'
  | 'environmentsOf'
  | 'releaseManifests'
>;

type NewRollout = Parameters<RolloutsRepository['insert']>[1];

const copy = <T>(value: T): T => structuredClone(value);

/**
 * Rollouts, their locks and environment history in memory, with the SQL's semantics for what the
 * steps and RolloutsService rely on: `update` sets only the given fields, the gate is derived from
 * the waiting step, rollouts and history are newest first, a lock taken twice collides as the
 * primary key does (error code 23505), `unlock` releases the rollout's environment locks.
 */
export class InMemoryRolloutsRepository implements RolloutRecords, RolloutServiceRecords {
  /** In insertion order, oldest first (the table's `seq`). */
  readonly rollouts = new Map<string, Rollout>();
  readonly deployments: EnvironmentDeployment[] = [];
  /** `${service}/${environment}` → the rollout holding it. */
  readonly locks = new Map<string, string>();
  readonly measured: Array<Measurement & { rolloutId: string; environment: string }> = [];
  /** The manifests each release was created with, by release id. */
  readonly manifests = new Map<string, ManifestDocument[]>();

  add(rollout: Rollout): void {
    this.rollouts.set(rollout.id, copy(rollout));
    for (const env of rollout.plan.environments) this.locks.set(`${rollout.service}/${env.name}`, rollout.id);
  }

  async insert(_m: EntityManager, rollout: NewRollout): Promise<void> {
    if (this.rollouts.has(rollout.id)) throw Object.assign(new Error(`duplicate rollout ${rollout.id}`), { code: '23505' });
    const at = new Date().toISOString();
    this.rollouts.set(rollout.id, {
      ...copy(rollout),
      currentStep: 0,
      gate: null,
      verdict: null,
      error: null,
      decisions: [],
      abortRequested: null,
      cleanupPending: false,
      supersededBy: null,
      createdAt: at,
      updatedAt: at,
      finishedAt: null,
    });
  }

  async find(_m: EntityManager, id: string): Promise<Rollout | undefined> {
    const rollout = this.rollouts.get(id);
    return rollout ? copy(rollout) : undefined;
  }

  async latestForRelease(_m: EntityManager, releaseId: string): Promise<Rollout | undefined> {
    const latest = [...this.rollouts.values()].filter((r) => r.releaseId === releaseId && r.kind === 'release').at(-1);
    return latest ? copy(latest) : undefined;
  }

  async list(_m: EntityManager, filter: { service?: string; statuses?: RolloutStatus[]; limit: number }): Promise<Rollout[]> {
    return copy(
      [...this.rollouts.values()]
        .filter((r) => (!filter.service || r.service === filter.service) && (!filter.statuses?.length || filter.statuses.includes(r.status)))
        .reverse()
        .slice(0, filter.limit),
    );
  }

  async lockHolders(_m: EntityManager, service: string, environments: string[]): Promise<Array<{ environment: string; rolloutId: string }>> {
    return [...environments]
      .sort()
      .filter((environment) => this.locks.has(`${service}/${environment}`))
      .map((environment) => ({ environment, rolloutId: this.locks.get(`${service}/${environment}`) as string }));
  }

  async lockHolder(_m: EntityManager, service: string, environment: string): Promise<string | undefined> {
    return this.locks.get(`${service}/${environment}`);
  }

  async lock(_m: EntityManager, service: string, environments: string[], rolloutId: string, takeOver: string[]): Promise<void> {
    for (const [key, holder] of this.locks) if (key.startsWith(`${service}/`) && takeOver.includes(holder)) this.locks.delete(key);
    for (const environment of environments) {
      const key = `${service}/${environment}`;
      if (this.locks.has(key)) throw Object.assign(new Error(`duplicate key value violates unique constraint "rollout_locks_pkey"`), { code: '23505' });
      this.locks.set(key, rolloutId);
    }
  }

  async environmentsOf(_m: EntityManager, service: string): Promise<string[]> {
    const names = new Set(this.deployments.filter((d) => d.service === service).map((d) => d.environment));
    for (const key of this.locks.keys()) if (key.startsWith(`${service}/`)) names.add(key.slice(service.length + 1));
    return [...names].sort();
  }

  async releaseManifests(_m: EntityManager, releaseId: string): Promise<ManifestDocument[]> {
    return copy(this.manifests.get(releaseId) ?? []);
  }

  async update(_m: EntityManager, id: string, change: RolloutChange): Promise<void> {
    const rollout = this.rollouts.get(id);
    if (!rollout) return;
    const { finished, ...fields } = change;
    for (const [key, value] of Object.entries(fields)) if (value !== undefined) Object.assign(rollout, { [key]: copy(value) });
    if (finished) rollout.finishedAt = new Date().toISOString();
    rollout.updatedAt = new Date().toISOString();
    // The SQL derives the gate from the current step; step specs drive a step without the engine
    // moving `currentStep`, so the waiting step stands for it here.
    const waiting = rollout.status === 'waiting' ? rollout.steps.find((step) => step.status === 'waiting') : undefined;
    rollout.gate = waiting
      ? {
          environment: waiting.environment,
          step: waiting.kind,
          kind: waiting.kind === 'gate' ? 'approval' : 'inconclusive',
          since: waiting.startedAt,
          plan: waiting.detail?.plan ?? null,
        }
      : null;
  }

  async history(_m: EntityManager, service: string, environment: string, limit = 50): Promise<EnvironmentDeployment[]> {
    return copy(
      this.deployments
        .filter((d) => d.service === service && d.environment === environment)
        .reverse()
        .slice(0, limit),
    );
  }

  async recordDeployment(_m: EntityManager, entry: Omit<EnvironmentDeployment, 'id' | 'deployedAt'>): Promise<void> {
    this.deployments.push({ ...copy(entry), id: String(this.deployments.length + 1), deployedAt: new Date().toISOString() });
  }

  async unlock(_m: EntityManager, rolloutId: string): Promise<void> {
    for (const [key, holder] of this.locks) if (holder === rolloutId) this.locks.delete(key);
  }

  async addMeasurements(_m: EntityManager, rolloutId: string, environment: string, measurements: Measurement[]): Promise<void> {
    for (const m of measurements) this.measured.push({ ...copy(m), rolloutId, environment });
  }

  async measurements(_m: EntityManager, rolloutId: string, environment?: string): Promise<Array<Measurement & { environment: string }>> {
    return copy(this.measured.filter((m) => m.rolloutId === rolloutId && (environment === undefined || m.environment === environment))).map(
      ({ rolloutId: _id, ...m }) => m,
    );
  }

  /** Runs `work` all-or-nothing, as a database transaction would. */
  async transaction<T>(work: () => Promise<T>): Promise<T> {
    const saved = { rollouts: copy([...this.rollouts]), deployments: copy(this.deployments), locks: copy([...this.locks]), measured: copy(this.measured) };
    try {
      return await work();
    } catch (error) {
      this.rollouts.clear();
      for (const [id, rollout] of saved.rollouts) this.rollouts.set(id, rollout);
      this.deployments.splice(0, this.deployments.length, ...saved.deployments);
      this.measured.splice(0, this.measured.length, ...saved.measured);
      this.locks.clear();
      for (const [key, holder] of saved.locks) this.locks.set(key, holder);
      throw error;
    }
  }
}

/**
 * What the rollout code writes besides the repository, in memory: a database whose transactions are
 * the repository's all-or-nothing ones, an audit trail (events roll back with a failed transaction),
 * webhooks and metrics that remember what they were given.
 */
export function inMemoryRolloutWorld(rollouts = new InMemoryRolloutsRepository()) {
  // Nothing may reach SQL through the fake manager: a write that bypasses the repository fails loudly.
  const manager = {
    query: () => Promise.reject(new Error('the in-memory fake has no SQL: go through the repository')),
  } as unknown as EntityManager;
  const audit: AuditEventInput[] = [];
  const notifications: Array<Omit<RolloutNotification, 'at'>> = [];
  const metrics: Array<[string, ...unknown[]]> = [];
  const db: Pick<Database, 'manager' | 'transaction'> = {
    manager,
    transaction: async <T>(work: (m: EntityManager) => Promise<T>): Promise<T> => {
      const recorded = audit.length;
      try {
        return await rollouts.transaction(() => work(manager));
      } catch (error) {
        audit.length = recorded;
        throw error;
      }
    },
  };
  const auditService: Pick<AuditService, 'record'> = { record: async (_m, event) => void audit.push(copy(event)) };
  const notifier: Pick<WebhookNotifier, 'notify'> = { notify: (notification) => void notifications.push(copy(notification)) };
  const observed = new Proxy({} as RolloutMetrics, {
    get:
      (_target, name: string) =>
      (...args: unknown[]) =>
        void metrics.push([name, ...args]),
  });
  return { rollouts, db, manager, audit, auditService, notifications, notifier, metrics, observed };
}

/** A real RolloutRecorder over the in-memory world of `inMemoryRolloutWorld`. */
export function inMemoryRecorder(rollouts = new InMemoryRolloutsRepository()) {
  const world = inMemoryRolloutWorld(rollouts);
  // RolloutRecorder takes the concrete classes; these stand-ins have every member it (and the steps through it) call.
  const recorder = new RolloutRecorder(
    world.db as Database,
    rollouts as unknown as RolloutsRepository,
    world.auditService as AuditService,
    world.notifier as WebhookNotifier,
    world.observed,
  );
  return { recorder, rollouts, audit: world.audit, notifications: world.notifications, metrics: world.metrics };
}

/** A release rollout of `shop` 1.2.0 through the given steps (each environment `<name>` in namespace `shop-<name>`). */
export function rolloutFixture(
  steps: Array<Pick<Rollout['steps'][number], 'kind' | 'environment'> & Partial<Rollout['steps'][number]>>,
  overrides: Partial<Rollout> = {},
): Rollout {
  const environments = [...new Set(steps.map((s) => s.environment))];
  return {
    id: 'r-1',
    kind: 'release',
    releaseId: 'rel-1',
    service: 'shop',
    version: '1.2.0',
    image: 'registry.test/shop:1.2.0',
    imageDigest: 'sha256:abc',
    status: 'running',
    currentStep: 0,
    steps: steps.map((s) => ({ status: 'pending', startedAt: null, finishedAt: null, durationMs: null, message: null, detail: null, ...s })),
    gate: null,
    verdict: null,
    error: null,
    decisions: [],
    abortRequested: null,
    cleanupPending: false,
    supersededBy: null,
    createdBy: 'user:ada@example.com',
    reason: null,
    createdAt: '2026-01-01T00:00:00.000Z',
    updatedAt: '2026-01-01T00:00:00.000Z',
    finishedAt: null,
    plan: { environments: environments.map((name) => ({ name, namespace: `shop-${name}`, approval: 'required' as const, objects: [] })) },
    ...overrides,
  };
}

/**
 * Interrupts as the driver has them, reacting to in-process signals (`signals.emit({ kind: 'abort', … })`)
 * and to shutdown; the once-a-second database poll for other replicas' aborts finds nothing here.
 */
export function inMemoryInterrupts(signals = new RolloutSignals()) {
  const db = { query: () => Promise.reject(new Error('no database in unit tests')) };
  // The poll's read fails, as it does while PostgreSQL is away: the waits end only by signal or shutdown.
  const rollouts: Pick<RolloutsRepository, 'runState'> = { runState: () => Promise.reject(new Error('no database in unit tests')) };
  return { signals, interrupts: new RolloutInterrupts(db as unknown as Database, signals, rollouts as unknown as RolloutsRepository) };
}
