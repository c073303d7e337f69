import type { EntityManager } from 'typeorm';
import type { AuditEventInput } from '@switchyard/audit';
import type { Measurement } from '../../analysis/canary-analysis';
import type { Database } from '@switchyard/persistence';
import type { RolloutMetrics } from '../../metrics/rollout.metrics';
import type { RolloutNotification, WebhookNotifier } from '../../webhooks/webhook.notifier';
import type { EnvironmentDeployment, Rollout } from '../rollout.entity';
import { RolloutRecorder } from '../rollout-recorder';
import { RolloutInterrupts } from '../rollout-interrupts';
import { RolloutSignals } from '../rollout-signals';
import type { RolloutChange, RolloutsRepository } from '../rollouts.repository';

/** The part of RolloutsRepository that RolloutRecorder and the step handlers under unit test use. */
export type RolloutRecords = Pick<RolloutsRepository, 'find' | 'update' | 'history' | 'recordDeployment' | 'unlock' | 'measurements' | 'addMeasurements'>;

const copy = <T>(value: T): T => structuredClone(value);

/**
 * Rollouts and environment history in memory, with the SQL's semantics for what the steps rely
 * on: `update` sets only the given fields, the gate is derived from a waiting step, history is
 * newest first, `unlock` releases the rollout's environment locks.
 */
export class InMemoryRolloutsRepository implements RolloutRecords {
  readonly rollouts = new Map<string, Rollout>();
  readonly deployments: EnvironmentDeployment[] = [];
  /** `${service}/${environment}` → the rollout holding it. */
  readonly locks = new Map<string, string>();
  readonly measured: Array<Measurement & { rolloutId: string; environment: string }> = [];

  add(rollout: Rollout): void {
    this.rollouts.set(rollout.id, copy(rollout));
    for (const env of rollout.plan.environments) this.locks.set(`${rollout.service}/${env.name}`, rollout.id);
  }

  async find(_m: EntityManager, id: string): Promise<Rollout | undefined> {
    const rollout = this.rollouts.get(id);
    return rollout ? copy(rollout) : undefined;
  }

  async update(_m: EntityManager, id: string, change: RolloutChange): Promise<void> {
    const rollout = this.rollouts.get(id);
    if (!rollout) return;
    const { finished, ...fields } = change;
    for (const [key, value] of Object.entries(fields)) if (value !== undefined) Object.assign(rollout, { [key]: copy(value) });
    if (finished) rollout.finishedAt = new Date().toISOString();
    rollout.updatedAt = new Date().toISOString();
    const waiting = rollout.status === 'waiting' ? rollout.steps.find((step) => step.status === 'waiting') : undefined;
    rollout.gate = waiting
      ? { environment: waiting.environment, step: waiting.kind, kind: 'approval', since: waiting.startedAt, plan: waiting.detail?.plan ?? null }
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
 * A real RolloutRecorder over the in-memory repository, with an audit trail, webhooks and metrics
 * that remember what they were given (audit events roll back with a failed transaction).
 */
export function inMemoryRecorder(rollouts = new InMemoryRolloutsRepository()) {
  const manager = {
    query: () => Promise.reject(new Error('the in-memory fake has no SQL: go through the repository')),
  } as unknown as EntityManager;
  const audit: AuditEventInput[] = [];
  const notifications: Array<Omit<RolloutNotification, 'at'>> = [];
  const metrics: Array<[string, ...unknown[]]> = [];
  const db = {
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
  const auditService = { record: async (_m: EntityManager, event: AuditEventInput) => void audit.push(copy(event)) };
  const notifier = { notify: (notification: Omit<RolloutNotification, 'at'>) => void notifications.push(copy(notification)) };
  const observed = new Proxy({} as Record<string, (...args: unknown[]) => void>, {
    get:
      (_target, name: string) =>
      (...args: unknown[]) =>
        void metrics.push([name, ...args]),
  });
  // RolloutRecorder takes the concrete classes; these stand-ins have every member it (and the steps through it) call.
  const recorder = new RolloutRecorder(
    db as unknown as Database,
    rollouts as unknown as RolloutsRepository,
    auditService as never,
    notifier as unknown as WebhookNotifier,
    observed as unknown as RolloutMetrics,
  );
  return { recorder, rollouts, audit, notifications, metrics };
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
  return { signals, interrupts: new RolloutInterrupts(db as unknown as Database, signals) };
}
