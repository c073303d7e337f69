import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { TestSummary } from '../junit/junit-report';
import { SecretSealer } from '../kubernetes/secret-sealer';
import type { PipelineSpec, StageName } from '../pipeline/pipeline-spec';
import type { ManifestDocument } from '../kubernetes/manifest-set';
import type { Release, ReleaseFilter, ReleasePage, ReleaseStage, ReleaseStatus, StageArtifacts, StageStatus } from './release.entity';

interface ReleaseRow {
  id: string;
  seq: string;
  service: string;
  version: string;
  git_sha: string | null;
  branch: string | null;
  build_number: string | null;
  status: ReleaseStatus;
  failed_stage: StageName | null;
  image_reference: string | null;
  image_digest: string | null;
  pipeline: PipelineSpec | string | null;
  created_by: string;
  created_at: Date | string;
  updated_at: Date | string;
  last_report_at: Date | string;
  finished_at: Date | string | null;
}

interface StageRow {
  release_id: string;
  name: StageName;
  position: number;
  status: StageStatus;
  started_at: Date | string | null;
  finished_at: Date | string | null;
  log_tail: string | null;
  error: string | null;
  test_summary: TestSummary | string | null;
  artifacts: StageArtifacts | string | null;
}

const RELEASE_COLUMNS = `id, seq::text AS seq, service, version, git_sha, branch, build_number, status, failed_stage, image_reference, image_digest,
  pipeline, created_by, created_at, updated_at, last_report_at, finished_at`;

/** Releases and stages in SQL that runs on PostgreSQL and PGlite alike. Every method works inside the caller's transaction. */
@Injectable()
export class ReleasesRepository {
  constructor(private readonly sealer: SecretSealer) {}

  async insert(
    manager: EntityManager,
    release: {
      id: string;
      service: string;
      version: string;
      gitSha?: string;
      branch?: string;
      buildNumber?: string;
      pipeline?: PipelineSpec;
      manifests?: ManifestDocument[];
      createdBy: string;
    },
    stages: readonly StageName[],
  ): Promise<void> {
    await manager.query(
      `INSERT INTO releases (id, service, version, git_sha, branch, build_number, status, pipeline, created_by, manifests)
       VALUES ($1, $2, $3, $4, $5, $6, 'running', $7, $8, $9)`,
      [
        release.id,
        release.service,
        release.version,
        release.gitSha ?? null,
        release.branch ?? null,
        release.buildNumber ?? null,
        release.pipeline ? JSON.stringify(release.pipeline) : null,
        release.createdBy,
        // Secret values are stored sealed; RolloutsRepository.releaseManifests opens them for the rollout.
        release.manifests?.length ? JSON.stringify(release.manifests.map((m) => ({ ...m, object: this.sealer.seal(m.object) }))) : null,
      ],
    );
    for (const [position, name] of stages.entries()) {
      await manager.query(`INSERT INTO release_stages (release_id, name, position, status) VALUES ($1, $2, $3, 'pending')`, [release.id, name, position]);
    }
  }

  /** `forUpdate` locks the release row so concurrent reports on one release apply one after another. */
  async find(manager: EntityManager, id: string, options: { forUpdate?: boolean } = {}): Promise<Release | undefined> {
    const rows: ReleaseRow[] = await manager.query(`SELECT ${RELEASE_COLUMNS} FROM releases WHERE id = $1${options.forUpdate ? ' FOR UPDATE' : ''}`, [id]);
    if (rows.length === 0) return undefined;
    const [release] = await this.withStages(manager, rows);
    return release;
  }

  async list(manager: EntityManager, filter: ReleaseFilter): Promise<ReleasePage> {
    const where: string[] = [];
    const params: unknown[] = [];
    const add = (sql: string, value: unknown) => {
      params.push(value);
      where.push(sql.replace('?', `$${params.length}`));
    };
    if (filter.service) add('service = ?', filter.service);
    if (filter.status) add('status = ?', filter.status);
    if (filter.branch) add('branch = ?', filter.branch);
    if (filter.gitSha) add('git_sha LIKE ?', `${filter.gitSha}%`);
    if (filter.cursor) add('releases.seq < ?::bigint', filter.cursor);
    params.push(filter.limit + 1);
    // Qualified: a bare "seq" in ORDER BY would be the text alias of the select list, sorting "10" before "9".
    const rows: ReleaseRow[] = await manager.query(
      `SELECT ${RELEASE_COLUMNS} FROM releases ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY releases.seq DESC LIMIT $${params.length}`,
      params,
    );
    const page = rows.slice(0, filter.limit);
    // Pages stay small: log tails (up to 64 KiB a stage) come with the single release only.
    return { items: await this.withStages(manager, page, false), nextCursor: rows.length > filter.limit ? String(page[page.length - 1].seq) : null };
  }

  async updateStage(
    manager: EntityManager,
    releaseId: string,
    name: StageName,
    change: {
      status?: StageStatus;
      started?: boolean;
      finished?: boolean;
      logTail?: string;
      error?: string;
      testSummary?: TestSummary;
      artifacts?: StageArtifacts;
    },
  ): Promise<void> {
    const sets: string[] = [];
    const params: unknown[] = [releaseId, name];
    const set = (column: string, value: unknown) => {
      params.push(value);
      sets.push(`${column} = $${params.length}`);
    };
    if (change.status) set('status', change.status);
    if (change.started) sets.push('started_at = now()');
    if (change.finished) sets.push('finished_at = now()');
    if (change.logTail !== undefined) set('log_tail', change.logTail);
    if (change.error !== undefined) set('error', change.error);
    if (change.testSummary !== undefined) set('test_summary', JSON.stringify(change.testSummary));
    if (change.artifacts !== undefined) set('artifacts', JSON.stringify(change.artifacts));
    if (sets.length === 0) return;
    await manager.query(`UPDATE release_stages SET ${sets.join(', ')} WHERE release_id = $1 AND name = $2`, params);
  }

  /** Every report, even a heartbeat, proves the reporter is alive. */
  async touch(
    manager: EntityManager,
    id: string,
    change: { status?: ReleaseStatus; failedStage?: StageName; imageReference?: string; imageDigest?: string; finished?: boolean } = {},
  ): Promise<void> {
    const sets = ['updated_at = now()', 'last_report_at = now()'];
    const params: unknown[] = [id];
    const set = (column: string, value: unknown) => {
      params.push(value);
      sets.push(`${column} = $${params.length}`);
    };
    if (change.status) set('status', change.status);
    if (change.failedStage) set('failed_stage', change.failedStage);
    if (change.imageReference) set('image_reference', change.imageReference);
    if (change.imageDigest) set('image_digest', change.imageDigest);
    if (change.finished) sets.push('finished_at = now()');
    await manager.query(`UPDATE releases SET ${sets.join(', ')} WHERE id = $1`, params);
  }

  /** Ends a release as abandoned (its reporter went silent). */
  async abandon(manager: EntityManager, id: string): Promise<void> {
    await manager.query(`UPDATE releases SET status = 'abandoned', updated_at = now(), finished_at = now() WHERE id = $1`, [id]);
  }

  /**
   * Claims running releases whose reporter has been silent for `silentMs`: they become abandoned,
   * as does their running stage. SKIP LOCKED lets several replicas sweep without blocking each other.
   */
  async claimSilent(manager: EntityManager, silentMs: number, limit = 100): Promise<string[]> {
    const rows: Array<{ id: string }> = await manager.query(
      `SELECT id FROM releases WHERE status = 'running' AND last_report_at < now() - ($1::double precision * interval '1 millisecond')
       ORDER BY last_report_at LIMIT $2 FOR UPDATE SKIP LOCKED`,
      [silentMs, limit],
    );
    return rows.map((row) => row.id);
  }

  private async withStages(manager: EntityManager, rows: ReleaseRow[], withLogs = true): Promise<Release[]> {
    if (rows.length === 0) return [];
    const stages: StageRow[] = await manager.query(
      `SELECT release_id, name, position, status, started_at, finished_at, ${withLogs ? 'log_tail' : 'NULL AS log_tail'}, error, test_summary, artifacts
       FROM release_stages WHERE release_id = ANY($1::uuid[]) ORDER BY position`,
      [rows.map((row) => row.id)],
    );
    return rows.map((row) =>
      toRelease(
        row,
        stages.filter((stage) => stage.release_id === row.id),
      ),
    );
  }
}

function toRelease(row: ReleaseRow, stages: StageRow[]): Release {
  return {
    id: row.id,
    service: row.service,
    version: row.version,
    gitSha: row.git_sha,
    branch: row.branch,
    buildNumber: row.build_number,
    status: row.status,
    failedStage: row.failed_stage,
    imageReference: row.image_reference,
    imageDigest: row.image_digest,
    createdBy: row.created_by,
    createdAt: iso(row.created_at),
    updatedAt: iso(row.updated_at),
    lastReportAt: iso(row.last_report_at),
    finishedAt: row.finished_at === null ? null : iso(row.finished_at),
    pipeline: jsonValue(row.pipeline),
    stages: stages.map(toStage),
  };
}

function toStage(row: StageRow): ReleaseStage {
  const startedAt = row.started_at === null ? null : iso(row.started_at);
  const finishedAt = row.finished_at === null ? null : iso(row.finished_at);
  return {
    name: row.name,
    position: Number(row.position),
    status: row.status,
    startedAt,
    finishedAt,
    durationMs: startedAt && finishedAt ? Date.parse(finishedAt) - Date.parse(startedAt) : null,
    logTail: row.log_tail,
    error: row.error,
    testSummary: jsonValue(row.test_summary),
    artifacts: jsonValue(row.artifacts),
  };
}

function iso(value: Date | string): string {
  return new Date(value).toISOString();
}

// node-postgres parses jsonb; some PGlite paths hand back the text.
function jsonValue<T>(value: T | string | null): T | null {
  if (value === null) return null;
  return typeof value === 'string' ? (JSON.parse(value) as T) : value;
}
