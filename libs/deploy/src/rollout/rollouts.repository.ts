import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { Database } from '@switchyard/persistence';
import type { AnalysisVerdict, Measurement } from '../analysis/canary-analysis';
import type { KubeObject } from '../kubernetes/kube-resources';
import { SecretSealer } from '../kubernetes/secret-sealer';
import type { ManifestDocument } from '../kubernetes/manifest-set';
import type { RecordedObject } from './recorded-object';
import type { EnvironmentDeployment, Rollout, RolloutDecision, RolloutKind, RolloutPlan, RolloutStatus, RolloutStep } from './rollout.entity';

type Timestamp = Date | string;

interface RolloutRow {
  id: string;
  kind: RolloutKind;
  release_id: string;
  service: string;
  version: string;
  image: string;
  image_digest: string | null;
  status: RolloutStatus;
  plan: RolloutPlan | string;
  steps: RolloutStep[] | string;
  current_step: number;
  verdict: AnalysisVerdict | string | null;
  error: string | null;
  decisions: RolloutDecision[] | string;
  abort_requested: Rollout['abortRequested'] | string;
  cleanup_pending: boolean;
  superseded_by: string | null;
  created_by: string;
  reason: string | null;
  created_at: Timestamp;
  updated_at: Timestamp;
  finished_at: Timestamp | null;
}

interface MeasurementRow {
  environment: string;
  iteration: number;
  metric: string;
  query: string;
  canary_value: number | string | null;
  stable_value: number | string | null;
  samples: number | string | null;
  threshold: Measurement['threshold'] | string;
  outcome: Measurement['outcome'];
  reason: string;
  measured_at: Timestamp;
}

interface DeploymentRow {
  id: string;
  service: string;
  environment: string;
  namespace: string;
  kind: RolloutKind;
  release_id: string;
  rollout_id: string | null;
  version: string;
  image: string;
  image_digest: string | null;
  workloads: KubeObject[] | string;
  objects: RecordedObject[] | string | null;
  deployed_by: string;
  reason: string | null;
  deployed_at: Timestamp;
}

const ROLLOUT_COLUMNS = `id, kind, release_id, service, version, image, image_digest, status, plan, steps, current_step, verdict, error, decisions,
  abort_requested, cleanup_pending, superseded_by, created_by, reason, created_at, updated_at, finished_at`;
const DEPLOYMENT_COLUMNS = `id::text AS id, service, environment, namespace, kind, release_id, rollout_id, version, image, image_digest, workloads, objects, deployed_by, reason, deployed_at`;

export interface RolloutChange {
  status?: RolloutStatus;
  steps?: RolloutStep[];
  currentStep?: number;
  verdict?: AnalysisVerdict | null;
  error?: string | null;
  decisions?: RolloutDecision[];
  abortRequested?: Rollout['abortRequested'];
  cleanupPending?: boolean;
  supersededBy?: string;
  finished?: boolean;
}

/** Rollouts, their locks, measurements and each environment's history, in SQL that runs on PostgreSQL and PGlite. */
@Injectable()
export class RolloutsRepository {
  constructor(private readonly sealer: SecretSealer) {}

  async insert(
    manager: EntityManager,
    rollout: Pick<
      Rollout,
      'id' | 'kind' | 'releaseId' | 'service' | 'version' | 'image' | 'imageDigest' | 'status' | 'plan' | 'steps' | 'createdBy' | 'reason'
    >,
  ): Promise<void> {
    await manager.query(
      `INSERT INTO rollouts (id, kind, release_id, service, version, image, image_digest, status, plan, steps, created_by, reason)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
      [
        rollout.id,
        rollout.kind,
        rollout.releaseId,
        rollout.service,
        rollout.version,
        rollout.image,
        rollout.imageDigest,
        rollout.status,
        JSON.stringify(this.sealPlan(rollout.plan)),
        JSON.stringify(rollout.steps),
        rollout.createdBy,
        rollout.reason,
      ],
    );
  }

  /**
   * Whether a rollout still runs with no abort asked for, as one statement on the Database (outside
   * any transaction), for the once-a-second poll of a step's waits; undefined when there is no such rollout.
   */
  async runState(db: Pick<Database, 'query'>, id: string): Promise<{ status: RolloutStatus; abortRequested: boolean } | undefined> {
    const rows = await db.query<{ status: RolloutStatus; abort_requested: unknown }>(`SELECT status, abort_requested FROM rollouts WHERE id = $1`, [id]);
    const row = rows[0];
    return row && { status: row.status, abortRequested: row.abort_requested !== null && row.abort_requested !== undefined };
  }

  async find(manager: EntityManager, id: string, forUpdate = false): Promise<Rollout | undefined> {
    const rows: RolloutRow[] = await manager.query(`SELECT ${ROLLOUT_COLUMNS} FROM rollouts WHERE id = $1${forUpdate ? ' FOR UPDATE' : ''}`, [id]);
    return rows[0] ? this.toRollout(rows[0]) : undefined;
  }

  async latestForRelease(manager: EntityManager, releaseId: string, forUpdate = false): Promise<Rollout | undefined> {
    const rows: RolloutRow[] = await manager.query(
      `SELECT ${ROLLOUT_COLUMNS} FROM rollouts WHERE release_id = $1 AND kind = 'release' ORDER BY rollouts.seq DESC LIMIT 1${forUpdate ? ' FOR UPDATE' : ''}`,
      [releaseId],
    );
    return rows[0] ? this.toRollout(rows[0]) : undefined;
  }

  async list(manager: EntityManager, filter: { service?: string; statuses?: RolloutStatus[]; limit: number }): Promise<Rollout[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    if (filter.service) {
      params.push(filter.service);
      where.push(`service = $${params.length}`);
    }
    if (filter.statuses?.length) {
      params.push(filter.statuses);
      where.push(`status = ANY($${params.length}::text[])`);
    }
    params.push(filter.limit);
    const rows: RolloutRow[] = await manager.query(
      `SELECT ${ROLLOUT_COLUMNS} FROM rollouts ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY rollouts.seq DESC LIMIT $${params.length}`,
      params,
    );
    return rows.map((row) => this.toRollout(row));
  }

  async update(manager: EntityManager, id: string, change: RolloutChange): Promise<void> {
    const sets = ['updated_at = now()'];
    const params: unknown[] = [id];
    const set = (column: string, value: unknown) => {
      params.push(value);
      sets.push(`${column} = $${params.length}`);
    };
    if (change.status) set('status', change.status);
    if (change.steps) set('steps', JSON.stringify(change.steps));
    if (change.currentStep !== undefined) set('current_step', change.currentStep);
    if (change.verdict !== undefined) set('verdict', change.verdict === null ? null : JSON.stringify(change.verdict));
    if (change.error !== undefined) set('error', change.error);
    if (change.decisions) set('decisions', JSON.stringify(change.decisions));
    if (change.abortRequested !== undefined) set('abort_requested', change.abortRequested === null ? null : JSON.stringify(change.abortRequested));
    if (change.cleanupPending !== undefined) set('cleanup_pending', change.cleanupPending);
    if (change.supersededBy !== undefined) set('superseded_by', change.supersededBy);
    if (change.finished) sets.push('finished_at = now()');
    await manager.query(`UPDATE rollouts SET ${sets.join(', ')} WHERE id = $1`, params);
  }

  /**
   * Claims runnable rollouts nobody holds (or whose holder stopped renewing): the lease is how a
   * restarted or surviving replica picks up where a stopped one left off. `token` is this claim's
   * own lease owner, so a late release of an earlier claim cannot drop a later one. SKIP LOCKED
   * keeps replicas from waiting on each other.
   */
  async claim(manager: EntityManager, token: string, leaseMs: number, exclude: string[], limit = 20): Promise<string[]> {
    const rows: Array<{ id: string }> = await manager.query(
      `SELECT id FROM rollouts WHERE (status = 'running' OR cleanup_pending) AND (lease_until IS NULL OR lease_until < now())
         AND NOT (id = ANY($1::uuid[])) ORDER BY rollouts.seq LIMIT $2 FOR UPDATE SKIP LOCKED`,
      [exclude, limit],
    );
    if (rows.length === 0) return [];
    const ids = rows.map((row) => row.id);
    await manager.query(
      `UPDATE rollouts SET lease_owner = $1, lease_until = now() + ($2::double precision * interval '1 millisecond') WHERE id = ANY($3::uuid[])`,
      [token, leaseMs, ids],
    );
    return ids;
  }

  /** Renews leases (rollout id → the token it was claimed with); returns the ids still held (a lost one must stop). */
  async renew(manager: EntityManager, leases: Map<string, string>, leaseMs: number): Promise<string[]> {
    const held: string[] = [];
    for (const [id, token] of leases) {
      const rows: Array<{ id: string }> = await manager.query(
        `UPDATE rollouts SET lease_until = now() + ($1::double precision * interval '1 millisecond') WHERE id = $2 AND lease_owner = $3 RETURNING id`,
        [leaseMs, id, token],
      );
      if (rows.length) held.push(id);
    }
    return held;
  }

  /** Hands a rollout back; `delayMs` keeps every replica off it for a while (a back-off after an error). */
  async releaseLease(manager: EntityManager, token: string, id: string, delayMs = 0): Promise<void> {
    await manager.query(
      `UPDATE rollouts SET lease_owner = NULL, lease_until = ${delayMs > 0 ? `now() + ($3::double precision * interval '1 millisecond')` : 'NULL'} WHERE id = $1 AND lease_owner = $2`,
      delayMs > 0 ? [id, token, delayMs] : [id, token],
    );
  }

  async lockHolders(manager: EntityManager, service: string, environments: string[]): Promise<Array<{ environment: string; rolloutId: string }>> {
    const rows: Array<{ environment: string; rollout_id: string }> = await manager.query(
      `SELECT environment, rollout_id FROM rollout_locks WHERE service = $1 AND environment = ANY($2::text[]) ORDER BY environment FOR UPDATE`,
      [service, environments],
    );
    return rows.map((row) => ({ environment: row.environment, rolloutId: row.rollout_id }));
  }

  /** The rollout holding the lock of one environment, if any (a plain read: no row lock). */
  async lockHolder(manager: EntityManager, service: string, environment: string): Promise<string | undefined> {
    const rows: Array<{ rollout_id: string }> = await manager.query(`SELECT rollout_id FROM rollout_locks WHERE service = $1 AND environment = $2`, [
      service,
      environment,
    ]);
    return rows[0]?.rollout_id;
  }

  /** Takes (or takes over) the locks; the primary key makes two concurrent takers collide instead of both winning. */
  async lock(manager: EntityManager, service: string, environments: string[], rolloutId: string, takeOver: string[]): Promise<void> {
    if (takeOver.length) await manager.query(`DELETE FROM rollout_locks WHERE service = $1 AND rollout_id = ANY($2::uuid[])`, [service, takeOver]);
    for (const environment of environments) {
      await manager.query(`INSERT INTO rollout_locks (service, environment, rollout_id) VALUES ($1, $2, $3)`, [service, environment, rolloutId]);
    }
  }

  async unlock(manager: EntityManager, rolloutId: string): Promise<void> {
    await manager.query(`DELETE FROM rollout_locks WHERE rollout_id = $1`, [rolloutId]);
  }

  async addMeasurements(manager: EntityManager, rolloutId: string, environment: string, measurements: Measurement[]): Promise<void> {
    for (const m of measurements) {
      await manager.query(
        `INSERT INTO rollout_measurements (rollout_id, environment, iteration, metric, query, canary_value, stable_value, samples, threshold, outcome, reason, measured_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
        [rolloutId, environment, m.iteration, m.metric, m.query, m.canary, m.stable, m.samples, JSON.stringify(m.threshold), m.outcome, m.reason, m.measuredAt],
      );
    }
  }

  async measurements(manager: EntityManager, rolloutId: string, environment?: string): Promise<Array<Measurement & { environment: string }>> {
    const rows: MeasurementRow[] = await manager.query(
      `SELECT environment, iteration, metric, query, canary_value, stable_value, samples, threshold, outcome, reason, measured_at
       FROM rollout_measurements WHERE rollout_id = $1 ${environment ? 'AND environment = $2' : ''} ORDER BY rollout_measurements.id`,
      environment ? [rolloutId, environment] : [rolloutId],
    );
    return rows.map((row) => ({
      environment: row.environment,
      iteration: Number(row.iteration),
      metric: row.metric,
      query: row.query,
      canary: numberOrNull(row.canary_value),
      stable: numberOrNull(row.stable_value),
      samples: numberOrNull(row.samples),
      threshold: jsonValue(row.threshold) as Measurement['threshold'],
      outcome: row.outcome,
      reason: row.reason,
      measuredAt: iso(row.measured_at),
    }));
  }

  async recordDeployment(manager: EntityManager, entry: Omit<EnvironmentDeployment, 'id' | 'deployedAt'>): Promise<void> {
    await manager.query(
      `INSERT INTO environment_deployments (service, environment, namespace, kind, release_id, rollout_id, version, image, image_digest, workloads, objects, deployed_by, reason)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
      [
        entry.service,
        entry.environment,
        entry.namespace,
        entry.kind,
        entry.releaseId,
        entry.rolloutId,
        entry.version,
        entry.image,
        entry.imageDigest,
        JSON.stringify(entry.workloads),
        entry.objects ? JSON.stringify(entry.objects) : null,
        entry.deployedBy,
        entry.reason,
      ],
    );
  }

  /** Newest first. */
  async history(manager: EntityManager, service: string, environment: string, limit = 50): Promise<EnvironmentDeployment[]> {
    const rows: DeploymentRow[] = await manager.query(
      `SELECT ${DEPLOYMENT_COLUMNS} FROM environment_deployments WHERE service = $1 AND environment = $2 ORDER BY environment_deployments.id DESC LIMIT $3`,
      [service, environment, limit],
    );
    return rows.map(toDeployment);
  }

  /** The entries recorded after `afterId`, newest first: the releases a rollback to `afterId` undoes. */
  async historyAfter(manager: EntityManager, service: string, environment: string, afterId: string): Promise<EnvironmentDeployment[]> {
    const rows: DeploymentRow[] = await manager.query(
      `SELECT ${DEPLOYMENT_COLUMNS} FROM environment_deployments WHERE service = $1 AND environment = $2 AND id > $3::bigint ORDER BY environment_deployments.id DESC`,
      [service, environment, afterId],
    );
    return rows.map(toDeployment);
  }

  async environmentsOf(manager: EntityManager, service: string): Promise<string[]> {
    const rows: Array<{ environment: string }> = await manager.query(
      `SELECT DISTINCT environment FROM environment_deployments WHERE service = $1 UNION SELECT environment FROM rollout_locks WHERE service = $1 ORDER BY environment`,
      [service],
    );
    return rows.map((row) => row.environment);
  }

  async releaseManifests(manager: EntityManager, releaseId: string): Promise<ManifestDocument[]> {
    const rows: Array<{ manifests: ManifestDocument[] | string | null }> = await manager.query(`SELECT manifests FROM releases WHERE id = $1`, [releaseId]);
    return ((rows[0] ? jsonValue(rows[0].manifests) : null) ?? []).map((document) => ({ ...document, object: this.sealer.open(document.object) }));
  }

  /** The plan as stored: Secret values sealed (they are opened again only where a step applies them). */
  private sealPlan(plan: RolloutPlan): RolloutPlan {
    return mapPlanObjects(plan, (object) => this.sealer.seal(object));
  }

  private toRollout(row: RolloutRow): Rollout {
    const rollout = toRollout(row);
    return { ...rollout, plan: mapPlanObjects(rollout.plan, (object) => this.sealer.open(object)) };
  }
}

function mapPlanObjects(plan: RolloutPlan, each: (object: KubeObject) => KubeObject): RolloutPlan {
  const mapped: RolloutPlan = { ...plan, environments: plan.environments.map((e) => ({ ...e, objects: e.objects.map(each) })) };
  const target = plan.rollback?.target;
  if (plan.rollback && target?.objects) {
    mapped.rollback = {
      ...plan.rollback,
      target: { ...target, objects: target.objects.map((o) => (o.kind === 'Secret' && 'valuesFrom' in o ? o : each(o as KubeObject))) },
    };
  }
  return mapped;
}

function toRollout(row: RolloutRow): Rollout {
  const steps = jsonValue(row.steps) ?? [];
  const status = row.status;
  const current = steps[Number(row.current_step)];
  const plan = jsonValue(row.plan) as RolloutPlan;
  const gate =
    status === 'waiting' && current
      ? {
          environment: current.environment,
          step: current.kind,
          kind: current.kind === 'gate' ? ('approval' as const) : ('inconclusive' as const),
          since: current.startedAt,
          plan: current.detail?.plan ?? null,
        }
      : null;
  return {
    id: row.id,
    kind: row.kind,
    releaseId: row.release_id,
    service: row.service,
    version: row.version,
    image: row.image,
    imageDigest: row.image_digest,
    status,
    currentStep: Number(row.current_step),
    steps,
    gate,
    verdict: jsonValue(row.verdict),
    error: row.error,
    decisions: jsonValue(row.decisions) ?? [],
    abortRequested: jsonValue(row.abort_requested),
    cleanupPending: Boolean(row.cleanup_pending),
    supersededBy: row.superseded_by,
    createdBy: row.created_by,
    reason: row.reason,
    createdAt: iso(row.created_at),
    updatedAt: iso(row.updated_at),
    finishedAt: row.finished_at === null ? null : iso(row.finished_at),
    plan,
  };
}

function toDeployment(row: DeploymentRow): EnvironmentDeployment {
  return {
    id: String(row.id),
    service: row.service,
    environment: row.environment,
    namespace: row.namespace,
    kind: row.kind,
    releaseId: row.release_id,
    rolloutId: row.rollout_id,
    version: row.version,
    image: row.image,
    imageDigest: row.image_digest,
    workloads: jsonValue(row.workloads) ?? [],
    ...(row.objects === null || row.objects === undefined ? {} : { objects: jsonValue(row.objects) ?? [] }),
    deployedBy: row.deployed_by,
    reason: row.reason,
    deployedAt: iso(row.deployed_at),
  };
}

function iso(value: Timestamp): string {
  return new Date(value).toISOString();
}

function numberOrNull(value: number | string | null): number | null {
  return value === null ? null : Number(value);
}

// node-postgres parses jsonb; some PGlite paths hand back the text.
function jsonValue<T>(value: T | string | null): T | null {
  if (value === null) return null;
  return typeof value === 'string' ? (JSON.parse(value) as T) : value;
}
