import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { AuditService } from '@switchyard/audit';
import { NotFoundError, ValidationFailedError } from '@switchyard/errors';
import { Database } from '@switchyard/persistence';
import { SecretSealer } from '../kubernetes/secret-sealer';
import { checkPipelineSchema, pathOf } from '../pipeline/pipeline-schema';
import { STAGE_NAMES, type PipelineSpec, type StageName } from '../pipeline/pipeline-spec';
import type { NewRelease, Release, ReleaseFilter, ReleasePage, ReleaseStage, StageReport } from './release.entity';
import { ReleaseMetrics } from './release.metrics';
import { ReleasesRepository } from './releases.repository';
import { planStageReport } from './stage-transition';
import { checkManifests } from '../kubernetes/manifest-set';
import { ReleasePoliciesService } from './release-policies.service';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export const ABANDON_ACTOR = 'system:abandon-sweeper';

type Effect = { kind: 'stage'; service: string; stage: string; outcome: string; seconds: number } | { kind: 'release'; service: string; outcome: string };

/**
 * The release record: creation, stage reports from CI, and abandonment of releases whose
 * reporter went silent. Every transition is audited in the same transaction; metrics are
 * counted only after the transaction commits, so a rolled-back report counts nothing.
 */
@Injectable()
export class ReleasesService {
  constructor(
    private readonly db: Database,
    private readonly releases: ReleasesRepository,
    private readonly audit: AuditService,
    private readonly metrics: ReleaseMetrics,
    private readonly policies: ReleasePoliciesService,
    private readonly sealer: SecretSealer,
  ) {}

  async create(actor: string, input: NewRelease): Promise<Release> {
    let pipeline: PipelineSpec | undefined;
    if (input.pipeline !== undefined) {
      const { spec, violations } = checkPipelineSchema(input.pipeline);
      if (!spec) {
        throw new ValidationFailedError(violations.map((v) => ({ path: `pipeline.${pathOf(v.segments)}`.replace(/\.$/, ''), problem: v.problem })));
      }
      if (spec.service !== input.service) {
        throw new ValidationFailedError([{ path: 'pipeline.service', problem: `is "${spec.service}" but the release is for service "${input.service}"` }]);
      }
      // Stored as validated: defaults filled in, build args as strings.
      pipeline = spec;
    }
    if (input.manifests?.length) {
      if (!pipeline)
        throw new ValidationFailedError([{ path: 'manifests', problem: 'needs the pipeline (its deploy section says where each environment goes)' }]);
      const problems = checkManifests(pipeline, input.manifests);
      if (!this.sealer.configured) {
        input.manifests.forEach((document, i) => {
          if (SecretSealer.hasValues(document.object))
            problems.push({
              path: `manifests[${i}].object`,
              problem: `Secret ${document.object.metadata.name} carries values, which the server stores only encrypted: set SECRETS_KEY on the server, or reference a Secret that already exists in the cluster`,
            });
        });
      }
      if (problems.length) throw new ValidationFailedError(problems);
    }
    const id = randomUUID();
    return this.db.transaction(async (manager) => {
      // Refused before anything is written: the pipeline may ask for more than the policy, never less.
      if (pipeline) await this.policies.checkNewRelease(manager, input.service, pipeline);
      await this.releases.insert(manager, { ...input, pipeline, id, createdBy: actor }, STAGE_NAMES);
      const release = await this.mustFind(manager, id);
      await this.audit.record(manager, {
        actor,
        action: 'release.created',
        target: targetOf(release),
        after: { status: release.status, version: release.version, stages: release.stages.map((s) => s.name) },
        meta: metaOf(release),
      });
      return release;
    });
  }

  async get(id: string): Promise<Release> {
    return this.db.transaction((manager) => this.mustFind(manager, id));
  }

  async list(filter: ReleaseFilter): Promise<ReleasePage> {
    return this.db.transaction((manager) => this.releases.list(manager, filter));
  }

  /** Applies one stage report. A repeated report changes nothing and returns the release as it is. */
  async report(actor: string, id: string, stageName: StageName, report: StageReport): Promise<Release> {
    const effects: Effect[] = [];
    const release = await this.db.transaction(async (manager) => {
      const current = await this.mustFind(manager, id, true);
      const plan = planStageReport(current, stageName, report.status);
      if (plan.kind === 'repeat') return current;
      if (plan.kind === 'heartbeat') {
        await this.releases.updateStage(manager, id, stageName, { logTail: report.logTail });
        await this.releases.touch(manager, id);
        return this.mustFind(manager, id);
      }
      const to = plan.to;
      const finishing = to === 'succeeded' || to === 'failed';
      await this.releases.updateStage(manager, id, stageName, {
        status: to,
        started: to === 'running',
        finished: finishing,
        logTail: report.logTail,
        error: report.error,
        testSummary: report.testSummary,
        artifacts: report.artifacts,
      });
      const published = stageName === 'publish' && to === 'succeeded' ? report.artifacts : undefined;
      await this.releases.touch(manager, id, {
        status: plan.releaseOutcome,
        failedStage: plan.releaseOutcome === 'failed' ? stageName : undefined,
        finished: plan.releaseOutcome !== undefined,
        imageReference: published?.imageReference,
        imageDigest: published?.imageDigest,
      });
      const updated = await this.mustFind(manager, id);
      const stage = updated.stages.find((s) => s.name === stageName) as ReleaseStage;
      await this.audit.record(manager, {
        actor,
        action: `release.stage.${to === 'running' ? 'started' : to}`,
        target: targetOf(updated),
        before: { stage: stageName, status: plan.stage.status },
        after: {
          stage: stageName,
          status: to,
          ...(report.error ? { error: report.error } : {}),
          ...(report.testSummary ? { tests: totalsOf(report.testSummary) } : {}),
        },
        meta: { ...metaOf(updated), stage: stageName, ...(report.artifacts?.imageId ? { imageId: report.artifacts.imageId } : {}) },
      });
      if (finishing) effects.push({ kind: 'stage', service: updated.service, stage: stageName, outcome: to, seconds: (stage.durationMs ?? 0) / 1000 });
      if (plan.releaseOutcome) {
        await this.audit.record(manager, {
          actor,
          action: `release.${plan.releaseOutcome}`,
          target: targetOf(updated),
          before: { status: current.status },
          after: { status: updated.status, failedStage: updated.failedStage, imageDigest: updated.imageDigest },
          meta: metaOf(updated),
        });
        effects.push({ kind: 'release', service: updated.service, outcome: plan.releaseOutcome });
      }
      return updated;
    });
    this.count(effects);
    return release;
  }

  /** Marks releases whose reporter has been silent for `silentMs` as abandoned (and their running stage). */
  async abandonSilent(silentMs: number): Promise<Release[]> {
    const effects: Effect[] = [];
    const abandoned = await this.db.transaction(async (manager) => {
      const ids = await this.releases.claimSilent(manager, silentMs);
      const done: Release[] = [];
      for (const id of ids) {
        const before = await this.mustFind(manager, id);
        const running = before.stages.find((s) => s.status === 'running');
        if (running)
          await this.releases.updateStage(manager, id, running.name, {
            status: 'abandoned',
            finished: true,
            error: `no report for ${Math.round(silentMs / 1000)} s`,
          });
        await this.releases.abandon(manager, id);
        const after = await this.mustFind(manager, id);
        await this.audit.record(manager, {
          actor: ABANDON_ACTOR,
          action: 'release.abandoned',
          target: targetOf(after),
          before: { status: before.status, runningStage: running?.name ?? null },
          after: { status: after.status },
          meta: { ...metaOf(after), lastReportAt: before.lastReportAt, silentForMs: silentMs },
        });
        const stage = running ? after.stages.find((s) => s.name === running.name) : undefined;
        if (stage) effects.push({ kind: 'stage', service: after.service, stage: stage.name, outcome: 'abandoned', seconds: (stage.durationMs ?? 0) / 1000 });
        effects.push({ kind: 'release', service: after.service, outcome: 'abandoned' });
        done.push(after);
      }
      return done;
    });
    this.count(effects);
    return abandoned;
  }

  private count(effects: Effect[]): void {
    for (const effect of effects) {
      if (effect.kind === 'stage') this.metrics.stageFinished(effect.service, effect.stage, effect.outcome, effect.seconds);
      else this.metrics.releaseFinished(effect.service, effect.outcome);
    }
  }

  private async mustFind(manager: EntityManager, id: string, forUpdate = false): Promise<Release> {
    // Not a uuid cannot exist; asking PostgreSQL would be a type error, not a 404.
    if (!UUID.test(id)) throw new NotFoundError('release', id);
    const release = await this.releases.find(manager, id, { forUpdate });
    if (!release) throw new NotFoundError('release', id);
    return release;
  }
}

function targetOf(release: Release): string {
  return `release:${release.service}/${release.id}`;
}

function metaOf(release: Release): Record<string, unknown> {
  return {
    service: release.service,
    version: release.version,
    gitSha: release.gitSha,
    branch: release.branch,
    buildNumber: release.buildNumber,
    imageDigest: release.imageDigest,
  };
}

function totalsOf(summary: NonNullable<StageReport['testSummary']>): Record<string, number> {
  return { tests: summary.tests, passed: summary.passed, failures: summary.failures, errors: summary.errors, skipped: summary.skipped };
}
